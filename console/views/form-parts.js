// Groups of controls that several forms share: an address, a line item, and lists of rows that
// can grow and shrink (bill-from entities, contacts, line items). Control names are the API's
// field paths, so its 422 errors land next to the right control.

import { h, uniqueId } from "../dom.js";
import { field, monthField, valueOf } from "../forms.js";

const ADDRESS_PARTS = [
  ["name", "Name", { autocomplete: "organization", maxlength: 200 }],
  ["line1", "Address line 1", { autocomplete: "address-line1", maxlength: 200 }],
  ["line2", "Address line 2 (optional)", { autocomplete: "address-line2", maxlength: 200 }],
  ["city", "City", { autocomplete: "address-level2", maxlength: 100 }],
  ["region", "Region (optional)", { autocomplete: "address-level1", maxlength: 100 }],
  ["postalCode", "Postal code (optional)", { autocomplete: "postal-code", maxlength: 20 }],
  ["country", "Country code", { autocomplete: "country", pattern: "[A-Z]{2}", maxlength: 2, placeholder: "US" }],
];

/** The controls of an address named "<prefix>.name", "<prefix>.line1", … */
export function addressFields(prefix, address) {
  return h(
    "div",
    { class: "grid" },
    ADDRESS_PARTS.map(([part, label, attributes]) =>
      field({ label, name: `${prefix}.${part}`, value: address?.[part], ...attributes }),
    ),
  );
}

/** The address typed under prefix, or null when every part is empty (an address is optional). */
export function addressFrom(form, prefix) {
  const values = Object.fromEntries(ADDRESS_PARTS.map(([part]) => [part, valueOf(form, `${prefix}.${part}`)]));
  if (Object.values(values).every((value) => value === "")) return null;
  return Object.fromEntries(Object.entries(values).map(([part, value]) => [part, value === "" ? null : value]));
}

export function fillAddress(form, prefix, address) {
  for (const [part] of ADDRESS_PARTS) form.elements.namedItem(`${prefix}.${part}`).value = address?.[part] ?? "";
}

/** The six line-item types of the AWS Billing console; an invoice has any of them but ALL. */
export const LINE_ITEM_TYPES = [
  ["SUBSCRIPTION_PURCHASE", "Subscription purchase"],
  ["MONTHLY_USAGE", "Monthly usage"],
  ["MARKETPLACE_PURCHASE", "Marketplace transaction"],
  ["MARKETPLACE_BLANKET_USAGE", "Marketplace blanket usage"],
  ["PROFESSIONAL_SERVICES", "Professional services and training"],
  ["ALL", "All invoice types"],
];
const RECURRENCES = [
  ["NONE", "None: one amount"],
  ["MONTHLY", "Monthly: the amount is per month"],
];

/**
 * The controls of one line item named "<prefix>lineItemId", "<prefix>type", … (prefix "" for the
 * body of the line-item endpoints, "lineItems[0]." inside a PO). The id cannot change once saved.
 */
export function lineItemFields(prefix, item = {}, { existing = false } = {}) {
  return h(
    "div",
    { class: "grid" },
    field({
      label: "Number",
      name: `${prefix}lineItemId`,
      "data-part": "lineItemId",
      value: item.lineItemId,
      required: true,
      readonly: existing,
      pattern: "[A-Za-z0-9._\\-]{1,32}",
      hint: existing ? "A line item keeps its number." : "e.g. 1 or 1.1",
    }),
    field({
      label: "Type",
      name: `${prefix}type`,
      "data-part": "type",
      kind: "select",
      options: LINE_ITEM_TYPES,
      value: item.type,
    }),
    monthField({
      label: "Start month",
      name: `${prefix}startMonth`,
      "data-part": "startMonth",
      value: item.startMonth,
    }),
    monthField({ label: "End month", name: `${prefix}endMonth`, "data-part": "endMonth", value: item.endMonth }),
    field({
      label: "Recurrence",
      name: `${prefix}recurrence`,
      "data-part": "recurrence",
      kind: "select",
      options: RECURRENCES,
      value: item.recurrence ?? "NONE",
    }),
    h(
      "div",
      { class: "amount-field" },
      field({
        label: "Amount",
        name: `${prefix}amount`,
        "data-part": "amount",
        value: item.amount,
        inputmode: "decimal",
        pattern: "\\d+(\\.\\d+)?",
        hint: "Per month when the recurrence is monthly.",
      }),
    ),
    field({
      label: "Description (optional)",
      name: `${prefix}description`,
      "data-part": "description",
      value: item.description,
      maxlength: 500,
    }),
  );
}

/** The line item typed under prefix, as the API takes it (empty months default to the PO's). */
export function lineItemFrom(form, prefix, balanceTracking) {
  const item = {
    lineItemId: valueOf(form, `${prefix}lineItemId`),
    type: valueOf(form, `${prefix}type`),
    recurrence: valueOf(form, `${prefix}recurrence`),
  };
  for (const name of ["startMonth", "endMonth", "description"]) {
    const value = valueOf(form, `${prefix}${name}`);
    if (value) item[name] = value;
  }
  if (balanceTracking) item.amount = valueOf(form, `${prefix}amount`);
  return item;
}

/** Shows or hides the amount controls under root (amounts exist only with balance tracking). */
export function showAmounts(root, balanceTracking) {
  for (const amount of root.querySelectorAll(".amount-field")) {
    amount.hidden = !balanceTracking;
    for (const control of amount.querySelectorAll("input")) control.required = balanceTracking;
  }
}

/**
 * A list of rows the user can add to and remove from. Each row's controls are renamed
 * "<name>[i]" or "<name>[i].<part>" after every change, matching the API's paths; makeRow(values)
 * returns the row's controls, each with data-part (the part, or "" for a list of plain values).
 */
export function rowList({ name, legend, itemLabel, makeRow, rows, minimum = 0, onChange = () => {} }) {
  const list = h("ol", { class: "rows" });
  const addButton = h("button", { type: "button", class: "secondary" }, `Add ${itemLabel.toLowerCase()}`);
  const container = h("fieldset", { "data-field": name, tabindex: -1 }, h("legend", {}, legend), list, addButton);

  function renumber() {
    const items = [...list.children];
    items.forEach((row, index) => {
      for (const control of row.querySelectorAll("[data-part]")) {
        const part = control.dataset.part;
        control.name = part ? `${name}[${index}].${part}` : `${name}[${index}]`;
      }
      row.querySelector(".row-title").textContent = `${itemLabel} ${index + 1}`;
      const remove = row.querySelector(".remove");
      remove.setAttribute("aria-label", `Remove ${itemLabel.toLowerCase()} ${index + 1}`);
      remove.hidden = items.length <= minimum;
    });
    onChange(items);
  }

  function addRow(values) {
    const remove = h("button", { type: "button", class: "remove secondary" }, "Remove");
    const titleId = uniqueId("row-title");
    const row = h(
      "li",
      { class: "row" },
      h(
        "div",
        { role: "group", "aria-labelledby": titleId },
        h("p", { class: "row-title", id: titleId }),
        makeRow(values),
        remove,
      ),
    );
    remove.addEventListener("click", () => {
      row.remove();
      renumber();
      addButton.focus();
    });
    list.append(row);
    renumber();
    return row;
  }

  addButton.addEventListener("click", () => {
    const row = addRow({});
    row.querySelector("input, select")?.focus();
  });
  for (const values of rows) addRow(values);
  return { element: container, rows: () => [...list.children] };
}
