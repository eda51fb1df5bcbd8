// One purchase order: its figures, status changes, line items (added, edited, deleted here), the
// invoices matched to it and its audit history. Every change sends the version it was based on.

import { api } from "../api.js";
import {
  announce,
  balanceBar,
  confirmDialog,
  describeDaysToExpiry,
  facts,
  formatAddress,
  formatMoney,
  h,
  pagedList,
  poHref,
  scrollingTable,
  statusBadge,
} from "../dom.js";
import { clearErrors, errorSummary, showErrors } from "../forms.js";
import { lineItemFields, lineItemFrom, showAmounts } from "./form-parts.js";
import { flagList, originalDocumentButton } from "./invoice-parts.js";

export async function renderPurchaseOrder(view, { pathParameters: [poId] }) {
  view.append(
    h("h1", { tabindex: -1 }, `Purchase order ${poId}`),
    h("p", { class: "back-link" }, h("a", { href: "#/purchase-orders" }, "All purchase orders")),
  );
  let po = await api.getPurchaseOrder(poId);

  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const overview = h("section", { "aria-labelledby": "overview-title" });
  const lineItemsSection = h("section", { "aria-labelledby": "line-items-title" });
  const lineItemEditor = h("div");

  function reportProblem(error) {
    problem.textContent = error.message;
    problem.hidden = false;
  }

  /** Runs a change; on success shows the PO as the API returned it. */
  async function change(button, action, message) {
    button.disabled = true;
    problem.hidden = true;
    try {
      po = await action();
      renderPo();
      announce(message);
    } catch (error) {
      reportProblem(error);
      button.disabled = false;
    }
  }

  function statusButton() {
    if (po.status === "EXPIRED") {
      return h("p", { class: "hint" }, "Expired: extend its expiration month (Edit) to make it active again.");
    }
    const target = po.status === "ACTIVE" ? "SUSPENDED" : "ACTIVE";
    const button = h("button", { type: "button", class: "secondary" }, target === "SUSPENDED" ? "Suspend" : "Activate");
    button.addEventListener("click", () =>
      change(button, () => api.changeStatus(po, target), `Purchase order ${po.poId} is now ${target.toLowerCase()}.`),
    );
    return button;
  }

  function deleteButton() {
    const button = h("button", { type: "button", class: "danger" }, "Delete purchase order");
    button.addEventListener("click", async () => {
      const confirmed = await confirmDialog({
        title: `Delete purchase order ${po.poId}?`,
        message: "Invoices already matched keep their match record; its history is kept. This cannot be undone.",
        confirmLabel: "Delete",
      });
      if (!confirmed) return;
      try {
        await api.deletePurchaseOrder(po);
        announce(`Purchase order ${po.poId} deleted.`);
        location.hash = "#/purchase-orders";
      } catch (error) {
        reportProblem(error);
      }
    });
    return button;
  }

  function renderOverview() {
    overview.replaceChildren(
      h("h2", { id: "overview-title", class: "visually-hidden" }, "Overview"),
      h(
        "div",
        { class: "actions" },
        statusButton(),
        h("a", { class: "button secondary", href: `${poHref(po.poId)}/edit` }, "Edit"),
        deleteButton(),
      ),
      facts([
        ["Status", statusBadge(po.status)],
        ["Balance", balanceBar(po.balance, po.invoicedAmount, po.currency)],
        ["Total", formatMoney(po.totalAmount, po.currency)],
        ["Invoiced", formatMoney(po.invoicedAmount, po.currency)],
        ["Months", `${po.effectiveMonth} to ${po.expirationMonth}`],
        ["Days to expiry", describeDaysToExpiry(po.expirationMonth)],
        ["Bill-from", po.billFrom.join(", ")],
        ["Bill-to", formatAddress(po.billTo)],
        ["Ship-to", formatAddress(po.shipTo)],
        ["Payment terms", po.paymentTerms],
        [
          "Contacts",
          po.contacts.length
            ? po.contacts.map((c) => [c.name, c.email, c.phone].filter(Boolean).join(", ")).join("; ")
            : "—",
        ],
        ["Description", po.description ?? "—"],
        ["Version", `${po.version} (updated ${po.updatedAt})`],
      ]),
    );
  }

  function periodsTable(item) {
    const rows = item.periods.map((period) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, period.month),
        h("td", { class: "number" }, formatMoney(period.amount, po.currency)),
        h("td", { class: "number" }, formatMoney(period.invoicedAmount, po.currency)),
        h("td", { class: "number" }, balanceBar(period.balance, period.invoicedAmount, po.currency)),
      ),
    );
    return h(
      "details",
      {},
      h("summary", {}, `Balance per month of line item ${item.lineItemId}`),
      scrollingTable(`Line item ${item.lineItemId} per month`, ["Month", "Amount", "Invoiced", "Balance"], rows),
    );
  }

  function lineItemRows(item) {
    const edit = h(
      "button",
      { type: "button", class: "secondary small", "aria-label": `Edit line item ${item.lineItemId}` },
      "Edit",
    );
    edit.addEventListener("click", () => openLineItemEditor(item));
    const remove = h(
      "button",
      { type: "button", class: "danger small", "aria-label": `Delete line item ${item.lineItemId}` },
      "Delete",
    );
    remove.addEventListener("click", async () => {
      const confirmed = await confirmDialog({
        title: `Delete line item ${item.lineItemId}?`,
        message: "A line item with matched invoices, or the last one, cannot be deleted.",
        confirmLabel: "Delete",
      });
      if (confirmed)
        change(remove, () => api.deleteLineItem(po, item.lineItemId), `Line item ${item.lineItemId} deleted.`);
    });
    const row = h(
      "tr",
      {},
      h("th", { scope: "row" }, item.lineItemId),
      h("td", {}, item.type),
      h("td", {}, `${item.startMonth} to ${item.endMonth}`),
      h("td", {}, item.recurrence === "MONTHLY" ? "Monthly" : "None"),
      h("td", { class: "number" }, formatMoney(item.amount, po.currency)),
      h("td", { class: "number" }, formatMoney(item.invoicedAmount, po.currency)),
      h("td", { class: "number" }, balanceBar(item.balance, item.invoicedAmount, po.currency)),
      h("td", { class: "row-actions" }, edit, remove),
    );
    if (!item.periods) return [row];
    return [row, h("tr", { class: "periods" }, h("td", { colspan: 8 }, periodsTable(item)))];
  }

  function renderLineItems() {
    const add = h("button", { type: "button" }, "Add line item");
    add.addEventListener("click", () => openLineItemEditor(null));
    lineItemsSection.replaceChildren(
      h("h2", { id: "line-items-title" }, "Line items"),
      scrollingTable(
        "Line items",
        ["Number", "Type", "Months", "Recurrence", "Amount", "Invoiced", "Balance", "Actions"],
        po.lineItems.flatMap(lineItemRows),
      ),
      h("div", { class: "actions" }, add),
      lineItemEditor,
    );
  }

  /** The form to add a line item (item null) or edit one, below the table. */
  function openLineItemEditor(item) {
    const summary = errorSummary();
    const defaults = item ?? { startMonth: po.effectiveMonth, endMonth: po.expirationMonth };
    const form = h(
      "form",
      { class: "card", novalidate: true, "aria-labelledby": "line-item-editor-title" },
      h(
        "h3",
        { id: "line-item-editor-title", tabindex: -1 },
        item ? `Edit line item ${item.lineItemId}` : "Add line item",
      ),
      summary,
      lineItemFields("", defaults, { existing: Boolean(item) }),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit" }, item ? "Save line item" : "Add line item"),
        h("button", { type: "button", class: "secondary cancel" }, "Cancel"),
      ),
    );
    showAmounts(form, po.balanceTracking);
    form.querySelector(".cancel").addEventListener("click", () => lineItemEditor.replaceChildren());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const invalid = [...form.elements].find((control) => control.willValidate && !control.checkValidity());
      if (invalid) {
        invalid.reportValidity();
        return;
      }
      const body = lineItemFrom(form, "", po.balanceTracking);
      clearErrors(form, summary);
      try {
        po = item ? await api.replaceLineItem(po, item.lineItemId, body) : await api.addLineItem(po, body);
        lineItemEditor.replaceChildren();
        renderPo();
        announce(item ? `Line item ${item.lineItemId} saved.` : `Line item ${body.lineItemId} added.`);
      } catch (error) {
        showErrors(form, summary, error);
      }
    });
    lineItemEditor.replaceChildren(form);
    form.querySelector("h3").focus();
  }

  function renderPo() {
    renderOverview();
    renderLineItems();
    invoices.reload();
    auditTrail.reload();
  }

  const invoices = pagedList({
    label: "Matched invoices",
    load: (nextToken) => api.purchaseOrderInvoices(po.poId, { nextToken }),
    render: (items) =>
      items.length
        ? scrollingTable(
            "Invoices matched to this purchase order",
            ["Invoice", "Issued", "Line item", "Debited", "Flags", "Approval", "Original"],
            items.map((invoice) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, invoice.invoiceId),
                h("td", {}, invoice.issueDate),
                h(
                  "td",
                  {},
                  invoice.match?.lineItemId ?? (invoice.match?.lines ?? []).map((line) => line.lineItemId).join(", "),
                ),
                h("td", { class: "number" }, formatMoney(invoice.match?.amount, invoice.currency)),
                h("td", {}, flagList(invoice.match?.flags)),
                h("td", {}, statusBadge(invoice.approvalStatus)),
                h("td", {}, originalDocumentButton(invoice)),
              ),
            ),
          )
        : h("p", {}, "No invoices are matched to this purchase order."),
    onError: reportProblem,
  });

  const auditTrail = pagedList({
    label: "History",
    load: (nextToken) => api.purchaseOrderHistory(po.poId, { nextToken, limit: 20 }),
    render: (items) =>
      h(
        "ol",
        { class: "history" },
        items.map((entry) =>
          h(
            "li",
            {},
            h("p", {}, h("strong", {}, entry.action), ` by ${entry.actor} at ${entry.at}`),
            h("details", {}, h("summary", {}, "Details"), h("pre", {}, JSON.stringify(entry.details, null, 2))),
          ),
        ),
      ),
    onError: reportProblem,
  });

  view.append(
    problem,
    overview,
    lineItemsSection,
    h(
      "section",
      { "aria-labelledby": "invoices-title" },
      h("h2", { id: "invoices-title" }, "Matched invoices"),
      invoices.element,
    ),
    h(
      "section",
      { "aria-labelledby": "history-title" },
      h("h2", { id: "history-title" }, "History"),
      auditTrail.element,
    ),
  );
  renderPo();
}
