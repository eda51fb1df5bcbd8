// Account settings: the defaults new purchase orders copy (currency, payment terms, bill-to), the
// matching rules and the notification settings. PUT /settings replaces the whole document, so the
// document read is sent back with the edits applied (fields this page does not show survive).

import { api } from "../api.js";
import { announce, h } from "../dom.js";
import { clearErrors, errorSummary, field, showErrors, valueOf } from "../forms.js";
import { LINE_ITEM_TYPES, addressFields, addressFrom } from "./form-parts.js";

const INVOICE_TYPES = LINE_ITEM_TYPES.filter(([type]) => type !== "ALL");

/** "30, 7" → [30, 7]; an entry that is not a whole number is sent as typed, for the API to name it. */
function numberList(text) {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => (/^\d+$/.test(entry) ? Number.parseInt(entry, 10) : entry));
}

export async function renderSettings(view) {
  view.append(h("h1", { tabindex: -1 }, "Settings"));
  let settings = await api.getSettings();
  const summary = errorSummary();
  const { matching, notifications } = settings;
  const checkbox = (label, name, checked, hint) => field({ label, name, type: "checkbox", checked, hint });
  const form = h(
    "form",
    { class: "settings", novalidate: true, "aria-label": "Settings" },
    summary,
    h(
      "fieldset",
      {},
      h("legend", {}, "Defaults for new purchase orders"),
      h(
        "div",
        { class: "grid" },
        field({
          label: "Currency",
          name: "currency",
          value: settings.currency,
          required: true,
          pattern: "[A-Z]{3}",
          maxlength: 3,
          hint: "ISO-4217 code, e.g. USD",
        }),
        field({
          label: "Payment terms",
          name: "paymentTerms",
          value: settings.paymentTerms,
          required: true,
          maxlength: 100,
        }),
      ),
      h(
        "fieldset",
        { "data-field": "billTo", tabindex: -1 },
        h("legend", {}, "Bill-to address"),
        addressFields("billTo", settings.billTo),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Matching rules"),
      checkbox(
        "Require a purchase order",
        "matching.requirePurchaseOrder",
        matching.requirePurchaseOrder,
        "An unmatched invoice cannot be submitted.",
      ),
      checkbox(
        "Block invoices exceeding the balance",
        "matching.blockExceedingBalance",
        matching.blockExceedingBalance,
        "Beyond the tolerance, a line item cannot take the invoice.",
      ),
      checkbox(
        "Require line-item match",
        "matching.requireLineItemMatch",
        matching.requireLineItemMatch,
        "Invoice lines naming PO line items must fit them.",
      ),
      h(
        "div",
        { class: "grid" },
        field({
          label: "Tolerance (%)",
          name: "matching.tolerancePercent",
          value: matching.tolerancePercent,
          inputmode: "decimal",
          required: true,
          hint: "0–100 percent of the balance",
        }),
        field({
          label: "Tolerance amount (optional)",
          name: "matching.toleranceAmount",
          value: matching.toleranceAmount,
          inputmode: "decimal",
          hint: "In the account currency; the stricter of the two applies",
        }),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Notifications"),
      h(
        "div",
        { class: "grid" },
        field({
          label: "Expiry notices (days before)",
          name: "notifications.expiryNoticeDays",
          value: notifications.expiryNoticeDays.join(", "),
          hint: "Comma-separated, e.g. 30, 7",
        }),
        field({
          label: "Balance alerts (% invoiced)",
          name: "notifications.balanceAlertPercents",
          value: notifications.balanceAlertPercents.join(", "),
          hint: "Comma-separated, e.g. 75, 100",
        }),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "E-invoices"),
      field({
        label: "Invoice type of e-invoices",
        name: "einvoicing.defaultInvoiceType",
        kind: "select",
        options: INVOICE_TYPES,
        value: settings.einvoicing.defaultInvoiceType,
        hint: "UBL, CII and Factur-X invoices carry no AWS invoice type: they are matched as this type",
      }),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save settings")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, summary);
    const checked = (name) => form.elements.namedItem(name).checked;
    const edited = {
      ...settings,
      currency: valueOf(form, "currency"),
      paymentTerms: valueOf(form, "paymentTerms"),
      billTo: addressFrom(form, "billTo"),
      matching: {
        ...settings.matching,
        requirePurchaseOrder: checked("matching.requirePurchaseOrder"),
        blockExceedingBalance: checked("matching.blockExceedingBalance"),
        requireLineItemMatch: checked("matching.requireLineItemMatch"),
        tolerancePercent: valueOf(form, "matching.tolerancePercent"),
        toleranceAmount: valueOf(form, "matching.toleranceAmount") || null,
      },
      einvoicing: { ...settings.einvoicing, defaultInvoiceType: valueOf(form, "einvoicing.defaultInvoiceType") },
      notifications: {
        ...settings.notifications,
        expiryNoticeDays: numberList(valueOf(form, "notifications.expiryNoticeDays")),
        balanceAlertPercents: numberList(valueOf(form, "notifications.balanceAlertPercents")),
      },
    };
    const submit = event.submitter;
    submit.disabled = true;
    try {
      settings = await api.putSettings(edited);
      // The API keeps the lists sorted and without repeats: show what was saved.
      form.elements.namedItem("notifications.expiryNoticeDays").value =
        settings.notifications.expiryNoticeDays.join(", ");
      form.elements.namedItem("notifications.balanceAlertPercents").value =
        settings.notifications.balanceAlertPercents.join(", ");
      announce("Settings saved.");
    } catch (error) {
      showErrors(form, summary, error);
    } finally {
      submit.disabled = false;
    }
  });
  view.append(form);
}
