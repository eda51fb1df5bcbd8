import { useState } from "react";

// Client-side filtering for the property filters of the PO list and the invoice queue: values may
// be lists (bill-from entities, tags), numbers (days to expiry) or dates; free text searches the
// fields each table names.

function matches(value, operator, wanted) {
  if (Array.isArray(value)) {
    if (operator.startsWith("!")) return value.every((element) => matches(element, operator, wanted));
    return value.some((element) => matches(element, operator, wanted));
  }
  if (["<", "<=", ">", ">="].includes(operator)) {
    if (value === null || value === undefined || value === "") return false;
    const numeric = typeof value === "number";
    const a = numeric ? value : String(value);
    const b = numeric ? Number(wanted) : String(wanted);
    if (numeric && Number.isNaN(b)) return false;
    if (operator === "<") return a < b;
    if (operator === "<=") return a <= b;
    if (operator === ">") return a > b;
    return a >= b;
  }
  const text = String(value ?? "").toLowerCase();
  const target = String(wanted ?? "").toLowerCase();
  switch (operator) {
    case "=":
      return text === target;
    case "!=":
      return text !== target;
    case ":":
      return text.includes(target);
    case "!:":
      return !text.includes(target);
    case "^":
      return text.startsWith(target);
    default:
      return false;
  }
}

/** A filteringFunction for useCollection's propertyFiltering. freeTextFields: what free text searches. */
export function propertyFilter(freeTextFields) {
  return (item, query) => {
    const results = query.tokens.map((token) => {
      if (!token.propertyKey) {
        return freeTextFields.some((field) => matches(item[field], ":", token.value));
      }
      return matches(item[token.propertyKey], token.operator, token.value);
    });
    if (!results.length) return true;
    return query.operation === "or" ? results.some(Boolean) : results.every(Boolean);
  };
}

/** The filtering options for a property: the distinct values the items have. */
export function optionsFor(items, propertyKey, format = (value) => value) {
  const seen = new Set();
  for (const item of items) {
    const value = item[propertyKey];
    for (const element of Array.isArray(value) ? value : [value]) {
      if (element !== null && element !== undefined && element !== "") seen.add(element);
    }
  }
  return [...seen].sort().map((value) => ({ propertyKey, value: String(value), label: format(value) }));
}

export const PROPERTY_FILTER_STRINGS = {
  filteringAriaLabel: "Filter",
  filteringPlaceholder: "Filter",
  dismissAriaLabel: "Dismiss",
  clearAriaLabel: "Clear",
  groupValuesText: "Values",
  groupPropertiesText: "Properties",
  operatorsText: "Operators",
  operationAndText: "and",
  operationOrText: "or",
  operatorLessText: "Less than",
  operatorLessOrEqualText: "Less than or equal",
  operatorGreaterText: "Greater than",
  operatorGreaterOrEqualText: "Greater than or equal",
  operatorContainsText: "Contains",
  operatorDoesNotContainText: "Does not contain",
  operatorEqualsText: "Equals",
  operatorDoesNotEqualText: "Does not equal",
  operatorStartsWithText: "Starts with",
  editTokenHeader: "Edit filter",
  propertyText: "Property",
  operatorText: "Operator",
  valueText: "Value",
  cancelActionText: "Cancel",
  applyActionText: "Apply",
  allPropertiesLabel: "All properties",
  tokenLimitShowMore: "Show more",
  tokenLimitShowFewer: "Show fewer",
  clearFiltersText: "Clear filters",
  removeTokenButtonAriaLabel: (token) => `Remove filter ${token.propertyLabel ?? ""} ${token.operator} ${token.value}`,
  enteredTextLabel: (text) => `Use: "${text}"`,
};

/** A table's preferences (visible columns, page size, wrapping), kept in this browser under
 * ``key``: [the preferences, a setter that also saves them]. */
export function useSavedPreferences(key, defaults) {
  const [preferences, setPreferences] = useState(() => loadPreferences(key, defaults));
  const save = (chosen) => {
    setPreferences(chosen);
    savePreferences(key, chosen);
  };
  return [preferences, save];
}

function loadPreferences(key, defaults) {
  try {
    const saved = JSON.parse(localStorage.getItem(key) ?? "null");
    if (saved && Array.isArray(saved.contentDisplay)) {
      const known = new Set(defaults.contentDisplay.map((column) => column.id));
      const kept = saved.contentDisplay.filter((column) => known.has(column.id));
      const missing = defaults.contentDisplay.filter((column) => !kept.some((k) => k.id === column.id));
      return { ...defaults, ...saved, contentDisplay: [...kept, ...missing] };
    }
  } catch {
    /* preferences are a convenience: fall back to the defaults */
  }
  return defaults;
}

function savePreferences(key, preferences) {
  try {
    localStorage.setItem(key, JSON.stringify(preferences));
  } catch {
    /* storage full or disabled: preferences last for this page only */
  }
}
