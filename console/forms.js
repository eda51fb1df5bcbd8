// Form controls with their label, hint and error message, and showing the API's errors: each 422
// entry next to the control its `field` names (aria-invalid, aria-describedby) and all of them
// in a summary at the top of the form.

import { ApiError } from "./api.js";
import { h, uniqueId } from "./dom.js";

/**
 * A labelled control. `name` is the API's field path ("lineItems[0].startMonth"), which is how
 * errors find it. kind: "input" (default), "select" (options: [[value, text]]) or "textarea".
 */
export function field({ label, name, kind = "input", hint, options, value, ...attributes }) {
  const id = uniqueId("field");
  const hintId = hint ? `${id}-hint` : null;
  let control;
  if (kind === "select") {
    control = h(
      "select",
      { id, name, "aria-describedby": hintId, ...attributes },
      options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
    );
  } else if (kind === "textarea") {
    control = h("textarea", { id, name, "aria-describedby": hintId, ...attributes }, value ?? "");
  } else {
    control = h("input", { id, name, value: value ?? "", "aria-describedby": hintId, ...attributes });
  }
  const isCheckbox = attributes.type === "checkbox";
  const labelElement = h("label", { for: id }, label);
  return h(
    "div",
    { class: isCheckbox ? "field field-checkbox" : "field" },
    isCheckbox ? [control, labelElement] : [labelElement, control],
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
}

/**
 * A form of select filters kept in the address: changing one goes to `#/<route>?<the non-empty
 * values>`, so a filter survives a reload and the Back button. `filters`: [{label, name, options, value}].
 */
export function filterForm(label, route, filters) {
  const form = h(
    "form",
    { class: "filters", "aria-label": label },
    filters.map((filter) => field({ kind: "select", ...filter })),
  );
  form.addEventListener("change", () => {
    const query = new URLSearchParams();
    for (const { name } of filters) {
      if (valueOf(form, name)) query.set(name, valueOf(form, name));
    }
    location.hash = `#/${route}?${query}`;
  });
  return form;
}

/** The error slot of a group of controls marked data-field (a whole list, such as "lineItems"). */
export function groupError() {
  return h("p", { class: "field-error", id: uniqueId("group-error"), hidden: true });
}

/** A month control: the native month picker where there is one, text "YYYY-MM" elsewhere. */
export function monthField(options) {
  return field({ type: "month", pattern: "\\d{4}-\\d{2}", placeholder: "YYYY-MM", ...options });
}

/** The value of the named control, trimmed; "" when absent. */
export function valueOf(form, name) {
  const control = form.elements.namedItem(name);
  return control ? control.value.trim() : "";
}

/** An error summary element to put at the top of a form (filled by showErrors). */
export function errorSummary() {
  return h("div", { class: "error-summary", role: "alert", tabindex: -1, hidden: true });
}

export function clearErrors(form, summary) {
  for (const control of form.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    const errorId = `${control.id}-error`;
    const described = (control.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id && id !== errorId);
    if (described.length) control.setAttribute("aria-describedby", described.join(" "));
    else control.removeAttribute("aria-describedby");
  }
  for (const message of form.querySelectorAll(".field-error")) {
    message.hidden = true;
    message.textContent = "";
  }
  summary.hidden = true;
  summary.replaceChildren();
}

/**
 * The control an API field path names, or the nearest one above it ("billFrom[1]" → the
 * billFrom[1] input; "lineItems" → the element marked data-field="lineItems").
 */
function controlFor(form, fieldPath) {
  let path = fieldPath;
  while (path) {
    const found = form.querySelector(`[name="${CSS.escape(path)}"], [data-field="${CSS.escape(path)}"]`);
    if (found) return found;
    path = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
    if (path === fieldPath) break;
  }
  return null;
}

/**
 * How a person would name a control: its label, after the row or group it is in ("Line item 2:
 * Start month", "Ship-to (optional): City").
 */
function describeControl(control) {
  const label = control.labels?.[0]?.textContent ?? control.querySelector("legend")?.textContent ?? control.name;
  const context =
    control.closest(".row")?.querySelector(".row-title")?.textContent ??
    control.parentElement.closest("fieldset")?.querySelector("legend")?.textContent;
  return context ? `${context}: ${label}` : label;
}

/**
 * Shows an API error: 422 entries next to their controls and all errors in the summary, which
 * takes focus. Returns the controls marked, so a caller can reveal the part of a form they are in.
 */
export function showErrors(form, summary, error) {
  clearErrors(form, summary);
  const marked = [];
  const items = [];
  const entries = error instanceof ApiError && error.fieldErrors.length ? error.fieldErrors : [{ msg: error.message }];
  for (const entry of entries) {
    const control = entry.field ? controlFor(form, entry.field) : null;
    if (!control) {
      items.push(h("li", {}, entry.field ? `${entry.field}: ${entry.msg}` : entry.msg));
      continue;
    }
    const message = control.matches("[data-field]")
      ? control.querySelector(":scope > .field-error")
      : control.closest(".field")?.querySelector(".field-error");
    if (message) {
      message.textContent = message.textContent ? `${message.textContent}; ${entry.msg}` : entry.msg;
      message.hidden = false;
      if (control.matches("input, select, textarea")) {
        control.setAttribute("aria-invalid", "true");
        const described = new Set((control.getAttribute("aria-describedby") ?? "").split(" ").filter(Boolean));
        described.add(message.id);
        control.setAttribute("aria-describedby", [...described].join(" "));
      }
    }
    marked.push(control);
    items.push(
      h(
        "li",
        {},
        h("button", { type: "button", class: "link", onClick: () => control.focus() }, describeControl(control)),
        `: ${entry.msg}`,
      ),
    );
  }
  const heading =
    error instanceof ApiError && error.status === 412
      ? "Someone else changed this in the meantime"
      : "There is a problem";
  summary.replaceChildren(h("h2", {}, heading), h("ul", {}, items));
  summary.hidden = false;
  summary.focus();
  return marked;
}
