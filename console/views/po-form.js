// The purchase-order wizard: step 1 the order (id, addresses, bill-from, months, contacts), step 2
// its line items. The same form edits an existing PO (PUT with If-Match). Both steps live in one
// form, so an API error about any field can be shown next to it, on whichever step it is.

import { api } from "../api.js";
import { announce, facts, formatAddress, h, poHref } from "../dom.js";
import { clearErrors, errorSummary, field, groupError, monthField, showErrors, valueOf } from "../forms.js";
import {
  addressFields,
  addressFrom,
  fillAddress,
  lineItemFields,
  lineItemFrom,
  rowList,
  showAmounts,
} from "./form-parts.js";

export async function renderNewPurchaseOrder(view) {
  view.append(h("h1", { tabindex: -1 }, "Add purchase order"));
  const settings = await api.getSettings();
  view.append(purchaseOrderForm({ settings, po: null }));
}

export async function renderEditPurchaseOrder(view, { pathParameters: [poId] }) {
  view.append(h("h1", { tabindex: -1 }, `Edit purchase order ${poId}`));
  const [settings, po] = await Promise.all([api.getSettings(), api.getPurchaseOrder(poId)]);
  view.append(purchaseOrderForm({ settings, po }));
}

/**
 * The first control in part of the form that fails the browser's own checks (required, pattern),
 * after showing the browser's message for it; undefined when all pass.
 */
function reportInvalid(part) {
  const invalid = [...part.querySelectorAll("input, select, textarea")].find((control) => !control.checkValidity());
  invalid?.reportValidity();
  return invalid;
}

function purchaseOrderForm({ settings, po }) {
  // A new PO takes its bill-to, payment terms and currency from the settings; an existing one keeps its own.
  const billTo = po ? po.billTo : settings.billTo;
  const summary = errorSummary();

  const billFromWarning = h(
    "p",
    { class: "warning", hidden: true },
    "More than one bill-from entity: invoices from any of them will be matched to this purchase order.",
  );
  const billFrom = rowList({
    name: "billFrom",
    legend: "Bill-from entities (sellers of record)",
    itemLabel: "Entity",
    minimum: 1,
    rows: (po?.billFrom ?? [""]).map((entity) => ({ entity })),
    makeRow: ({ entity }) =>
      field({
        label: "Entity name",
        value: entity,
        "data-part": "",
        required: true,
        maxlength: 200,
        hint: "Exactly as it appears on invoices",
      }),
    onChange: (rows) => {
      billFromWarning.hidden = rows.length <= 1;
    },
  });
  billFrom.element.append(groupError(), billFromWarning);

  const contacts = rowList({
    name: "contacts",
    legend: "Contacts (notified before expiry and on balance alerts)",
    itemLabel: "Contact",
    rows: po?.contacts ?? [],
    makeRow: (contact) =>
      h(
        "div",
        { class: "grid" },
        field({
          label: "Name",
          value: contact.name,
          "data-part": "name",
          required: true,
          maxlength: 200,
          autocomplete: "name",
        }),
        field({
          label: "Email",
          type: "email",
          value: contact.email,
          "data-part": "email",
          required: true,
          autocomplete: "email",
        }),
        field({
          label: "Phone (optional)",
          type: "tel",
          value: contact.phone,
          "data-part": "phone",
          maxlength: 40,
          autocomplete: "tel",
        }),
      ),
  });
  contacts.element.append(groupError());

  const copyBillTo = h("button", { type: "button", class: "secondary", disabled: !billTo }, "Copy bill-to");
  const stepOne = h(
    "section",
    { class: "step", "aria-labelledby": "step-1-title" },
    h("h2", { id: "step-1-title", tabindex: -1 }, "Step 1 of 2: Purchase order"),
    field({
      label: "PO id",
      name: "poId",
      value: po?.poId,
      required: true,
      readonly: Boolean(po),
      maxlength: 100,
      pattern: "[A-Za-z0-9 _.:=+\\-%@#]{1,100}",
      hint: po ? "A purchase order keeps its id." : "Letters, digits, spaces and _ . : = + - % @ #",
    }),
    field({
      label: "Description (optional)",
      name: "description",
      kind: "textarea",
      value: po?.description,
      maxlength: 500,
      rows: 2,
    }),
    h(
      "fieldset",
      {},
      h("legend", {}, "Bill-to"),
      billTo
        ? h("p", { class: "read-only" }, formatAddress(billTo))
        : h("p", {}, "No bill-to address is set. ", h("a", { href: "#/settings" }, "Set one in Settings"), "."),
    ),
    h(
      "fieldset",
      { "data-field": "shipTo", tabindex: -1 },
      h("legend", {}, "Ship-to (optional)"),
      groupError(),
      copyBillTo,
      addressFields("shipTo", po?.shipTo),
    ),
    billFrom.element,
    facts([
      ["Payment terms", po ? po.paymentTerms : settings.paymentTerms],
      ["Currency", po ? po.currency : settings.currency],
    ]),
    h(
      "div",
      { class: "grid" },
      monthField({ label: "Effective month", name: "effectiveMonth", value: po?.effectiveMonth, required: true }),
      monthField({ label: "Expiration month", name: "expirationMonth", value: po?.expirationMonth, required: true }),
    ),
    contacts.element,
    h("div", { class: "actions" }, h("button", { type: "button", class: "next" }, "Next: line items")),
  );

  /** Line items run over the PO's months unless told otherwise: fills in the months left empty. */
  function fillDefaultMonths(rows) {
    for (const [part, source] of [
      ["startMonth", "effectiveMonth"],
      ["endMonth", "expirationMonth"],
    ]) {
      const month = stepOne.querySelector(`[name="${source}"]`).value;
      for (const control of rows.map((row) => row.querySelector(`[data-part="${part}"]`))) {
        if (!control.value) control.value = month;
      }
    }
  }

  const lineItems = rowList({
    name: "lineItems",
    legend: "Line items",
    itemLabel: "Line item",
    minimum: 1,
    rows: po?.lineItems ?? [{ lineItemId: "1" }],
    makeRow: (item) => lineItemFields("", item, { existing: po?.lineItems.includes(item) ?? false }),
    onChange: fillDefaultMonths,
  });
  lineItems.element.append(groupError());
  const balanceTracking = field({
    label: "Track balances (each line item has an amount that invoices draw down)",
    name: "balanceTracking",
    type: "checkbox",
    checked: po ? po.balanceTracking : true,
  });
  const stepTwo = h(
    "section",
    { class: "step", "aria-labelledby": "step-2-title", hidden: true },
    h("h2", { id: "step-2-title", tabindex: -1 }, "Step 2 of 2: Line items"),
    balanceTracking,
    lineItems.element,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary back" }, "Back"),
      h("button", { type: "submit" }, po ? "Save purchase order" : "Create purchase order"),
    ),
  );

  // The browser's own checks run per step (novalidate), so a hidden step never blocks the other.
  const form = h(
    "form",
    { class: "wizard", novalidate: true, "aria-label": po ? "Edit purchase order" : "Add purchase order" },
    summary,
    stepOne,
    stepTwo,
  );
  const trackingBox = form.elements.namedItem("balanceTracking");
  showAmounts(stepTwo, trackingBox.checked);
  trackingBox.addEventListener("change", () => showAmounts(stepTwo, trackingBox.checked));
  copyBillTo.addEventListener("click", () => {
    fillAddress(form, "shipTo", billTo);
    announce("Bill-to copied to ship-to.");
  });

  function showStep(step) {
    stepOne.hidden = step !== stepOne;
    stepTwo.hidden = step !== stepTwo;
    step.querySelector("h2").focus();
  }

  function goToLineItems() {
    if (reportInvalid(stepOne)) return;
    fillDefaultMonths(lineItems.rows());
    showStep(stepTwo);
  }

  stepOne.querySelector(".next").addEventListener("click", goToLineItems);
  stepTwo.querySelector(".back").addEventListener("click", () => showStep(stepOne));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!stepOne.hidden) {
      goToLineItems(); // Enter in a step-1 field moves on rather than submitting
      return;
    }
    if (reportInvalid(stepTwo)) return;
    const tracking = trackingBox.checked;
    const body = {
      poId: valueOf(form, "poId"),
      shipTo: addressFrom(form, "shipTo"),
      billFrom: billFrom.rows().map((row) => row.querySelector("input").value.trim()),
      effectiveMonth: valueOf(form, "effectiveMonth"),
      expirationMonth: valueOf(form, "expirationMonth"),
      contacts: contacts.rows().map((_, index) => ({
        name: valueOf(form, `contacts[${index}].name`),
        email: valueOf(form, `contacts[${index}].email`),
        phone: valueOf(form, `contacts[${index}].phone`) || null,
      })),
      balanceTracking: tracking,
      lineItems: lineItems.rows().map((_, index) => lineItemFrom(form, `lineItems[${index}].`, tracking)),
    };
    const description = valueOf(form, "description");
    if (description) body.description = description;
    if (po) Object.assign(body, { billTo: po.billTo, currency: po.currency });
    const submit = event.submitter;
    submit.disabled = true;
    clearErrors(form, summary);
    try {
      const saved = po ? await api.replacePurchaseOrder(po, body) : await api.createPurchaseOrder(body);
      announce(po ? `Purchase order ${saved.poId} saved.` : `Purchase order ${saved.poId} created.`);
      location.hash = poHref(saved.poId);
    } catch (error) {
      const marked = showErrors(form, summary, error);
      // Errors about step 1 fields are shown on step 1 (the summary above both steps lists them all).
      if (marked.some((control) => stepOne.contains(control))) {
        stepOne.hidden = false;
        stepTwo.hidden = true;
      }
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
