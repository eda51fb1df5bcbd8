// Invoices: upload an invoice (JSON, or an e-invoice: UBL or CII XML, Factur-X PDF), follow it through matching (asynchronous: it arrives PENDING),
// see why it matched where it did (or did not), match it by hand, and take it through approval.
// Also the uploads through S3 that were rejected, with the reason.

import { api } from "../api.js";
import { announce, facts, formatMoney, h, pagedList, poHref, scrollingTable, statusBadge, uniqueId } from "../dom.js";
import { clearErrors, errorSummary, field, filterForm, showErrors } from "../forms.js";
import { flagList, originalDocumentButton } from "./invoice-parts.js";

const MATCH_STATUSES = [
  ["", "All"],
  ["PENDING", "Pending"],
  ["MATCHED", "Matched"],
  ["UNMATCHED", "Unmatched"],
];
const APPROVAL_STATUSES = [
  ["", "All"],
  ["DRAFT", "Draft"],
  ["SUBMITTED", "Submitted"],
  ["APPROVED", "Approved"],
  ["REJECTED", "Rejected"],
];
const UNMATCHED_REASONS = {
  NO_ACTIVE_PO: "No active purchase order is in effect in the service month.",
  NO_BILL_FROM_MATCH: "No active purchase order names this billing entity as a bill-from entity.",
  NO_LINE_ITEM_MATCH: "No line item of this invoice type (or ALL) covers the service month.",
  INSUFFICIENT_BALANCE: "No line item has the balance for it, within the tolerance (blocking is on).",
  PO_NOT_ELIGIBLE: "The purchase order named on the invoice cannot take it.",
  UNMATCHED_BY_USER: "Unmatched by a user.",
};
const FORMATS = { UBL: "UBL e-invoice (XML)", CII: "CII e-invoice (XML)", FACTURX: "Factur-X / ZUGFeRD PDF" };
/** The content type of an e-invoice file, by its type or else its name; null for a JSON file. */
function documentType(file) {
  if (file.type === "application/pdf" || /\.pdf$/i.test(file.name)) return "application/pdf";
  if (/xml/.test(file.type) || /\.xml$/i.test(file.name)) return "application/xml";
  return null;
}
const POLL_INTERVAL_MS = 1000;
const POLL_ATTEMPTS = 30;
const EXAMPLE = `{
  "invoiceId": "INV-0001",
  "billingEntity": "Amazon Web Services, Inc.",
  "invoiceType": "MONTHLY_USAGE",
  "issueDate": "${new Date().toISOString().slice(0, 10)}",
  "currency": "USD",
  "subtotal": "100.00",
  "tax": "10.00",
  "total": "110.00"
}`;

/** Matching happens after the upload (from the table's stream): ask again until it is done. */
async function waitForMatching(invoiceId) {
  for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt += 1) {
    const invoice = await api.getInvoice(invoiceId);
    if (invoice.matchStatus !== "PENDING") return invoice;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return null;
}

function describeMatch(invoice) {
  if (invoice.matchStatus === "MATCHED") {
    const lineItems = invoice.match.lineItemId ?? invoice.match.lines.map((line) => line.lineItemId).join(", ");
    return h(
      "span",
      {},
      statusBadge("MATCHED"),
      " to ",
      h("a", { href: poHref(invoice.match.poId) }, invoice.match.poId),
      `, line item ${lineItems}`,
    );
  }
  if (invoice.matchStatus === "UNMATCHED") {
    return h(
      "span",
      {},
      statusBadge("UNMATCHED"),
      ` ${invoice.unmatchedReason}: ${UNMATCHED_REASONS[invoice.unmatchedReason] ?? ""}`,
    );
  }
  return statusBadge(invoice.matchStatus);
}

function available(balance) {
  return balance === null || balance === undefined ? "" : `available ${balance}`;
}

function describeCandidate(candidate) {
  return [
    candidate.exactType ? "exact type" : "type ALL",
    candidate.covers ? "covers the subtotal" : "does not cover the subtotal",
    available(candidate.availableBalance),
  ]
    .filter(Boolean)
    .join("; ");
}

/** matchExplanation: the candidates ranked (or each line's line item) and the POs left out, with why. */
function explanation(invoice) {
  const explained = invoice.matchExplanation;
  if (!explained) return null;
  const ranked = (explained.candidates ?? []).map((candidate) =>
    h(
      "li",
      {},
      h("strong", {}, `${candidate.outcome}: PO ${candidate.poId}, line item ${candidate.lineItemId}`),
      ` (${describeCandidate(candidate)})`,
      candidate.reason ? ` — ${candidate.reason}` : "",
    ),
  );
  const lines = (explained.lines ?? []).map((line) => {
    const how = [line.how, available(line.availableBalance)].filter(Boolean).join("; ");
    return h("li", {}, `Line ${line.lineNumber} → line item ${line.lineItemId} (${how})`);
  });
  const excluded = (explained.excluded ?? []).map((entry) => h("li", {}, `PO ${entry.poId}: ${entry.reason}`));
  const previous = explained.manual?.previous;
  const before = previous?.poId ? ` (before: PO ${previous.poId}, line item ${previous.lineItemId ?? "—"})` : "";
  const manual = explained.manual ? h("p", {}, `Matched by hand by ${explained.manual.by}${before}.`) : null;
  return h(
    "details",
    { class: "explanation" },
    h("summary", {}, invoice.matchStatus === "MATCHED" ? "Why it matched here" : "Why it did not match"),
    manual,
    ranked.length ? [h("p", {}, "Candidates, best first:"), h("ol", {}, ranked)] : null,
    lines.length ? [h("p", {}, "Lines:"), h("ol", {}, lines)] : null,
    excluded.length ? [h("p", {}, "Left out:"), h("ul", {}, excluded)] : null,
    !manual && !ranked.length && !lines.length && !excluded.length
      ? h("p", {}, "There was no purchase order to consider.")
      : null,
  );
}

/** A form to match the invoice to a line item of a purchase order chosen from a list. */
function manualMatchForm(invoice, onMatched) {
  const summary = errorSummary();
  const poSelect = field({
    label: "Purchase order",
    name: "poId",
    kind: "select",
    options: [["", "Loading…"]],
    required: true,
  });
  const lineItemSelect = field({
    label: "Line item",
    name: "lineItemId",
    kind: "select",
    options: [["", "Choose a purchase order first"]],
    required: true,
  });
  const form = h(
    "form",
    { class: "manual-match", "aria-label": `Match ${invoice.invoiceId} by hand` },
    summary,
    h("div", { class: "grid" }, poSelect, lineItemSelect),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Match")),
  );
  const poControl = form.elements.namedItem("poId");
  const lineItemControl = form.elements.namedItem("lineItemId");
  const options = (pairs) => pairs.map(([value, text]) => h("option", { value }, text));

  // Only an active purchase order takes invoices.
  api.listPurchaseOrders({ status: "ACTIVE", limit: 100 }).then(
    (page) =>
      poControl.replaceChildren(
        ...options([
          ["", "Choose…"],
          ...page.items.map((po) => [po.poId, `${po.poId} (${po.status}, ${po.billFrom.join(", ")})`]),
        ]),
      ),
    (error) => showErrors(form, summary, error),
  );
  poControl.addEventListener("change", async () => {
    lineItemControl.replaceChildren(...options([["", "Loading…"]]));
    if (!poControl.value) return;
    try {
      const po = await api.getPurchaseOrder(poControl.value);
      lineItemControl.replaceChildren(
        ...options(
          po.lineItems.map((item) => {
            const balance = formatMoney(item.balance, po.currency);
            return [
              item.lineItemId,
              `${item.lineItemId}: ${item.type}, ${item.startMonth} to ${item.endMonth}, balance ${balance}`,
            ];
          }),
        ),
      );
    } catch (error) {
      showErrors(form, summary, error);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    clearErrors(form, summary);
    try {
      onMatched(await api.matchInvoice(invoice, poControl.value, lineItemControl.value));
    } catch (error) {
      showErrors(form, summary, error);
    }
  });
  return form;
}

/** One invoice with what can be done with it now. Actions replace the card with the invoice as returned. */
function invoiceCard(invoice) {
  const headingId = uniqueId("invoice");
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const card = h("article", {
    class: "card invoice",
    "aria-labelledby": headingId,
    "data-invoice-id": invoice.invoiceId,
  });

  function replaceWith(updated, message) {
    const fresh = invoiceCard(updated);
    card.replaceWith(fresh);
    fresh.querySelector("h3").focus();
    announce(message);
  }

  function actionButton(label, action, message, className = "secondary") {
    const button = h("button", { type: "button", class: className }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      problem.hidden = true;
      try {
        replaceWith(await action(), message);
      } catch (error) {
        problem.textContent = error.message;
        problem.hidden = false;
        button.disabled = false;
      }
    });
    return button;
  }

  const actions = [];
  const id = invoice.invoiceId;
  if (invoice.approvalStatus === "DRAFT") {
    actions.push(
      actionButton("Submit for approval", () => api.changeApproval(invoice, "submit"), `${id} submitted.`, "primary"),
    );
    if (invoice.matchStatus !== "PENDING") {
      const matchButton = h(
        "button",
        { type: "button", class: "secondary", "aria-expanded": "false" },
        "Match by hand…",
      );
      matchButton.addEventListener("click", () => {
        const open = card.querySelector(".manual-match");
        if (open) {
          open.remove();
          matchButton.setAttribute("aria-expanded", "false");
          return;
        }
        matchButton.setAttribute("aria-expanded", "true");
        card.append(
          manualMatchForm(invoice, (updated) => replaceWith(updated, `${id} matched to ${updated.match.poId}.`)),
        );
      });
      actions.push(matchButton);
    }
    if (invoice.matchStatus === "MATCHED") {
      actions.push(
        actionButton("Unmatch", () => api.unmatchInvoice(invoice), `${id} unmatched; its amount was credited back.`),
      );
    }
  }
  if (invoice.approvalStatus === "SUBMITTED") {
    actions.push(actionButton("Approve", () => api.changeApproval(invoice, "approve"), `${id} approved.`, "primary"));
    actions.push(
      actionButton(
        "Reject",
        () => api.changeApproval(invoice, "reject"),
        `${id} rejected; its amount was credited back.`,
        "danger",
      ),
    );
  }
  actions.push(originalDocumentButton(invoice));

  card.append(
    h(
      "h3",
      { id: headingId, tabindex: -1 },
      invoice.documentType === "CREDIT_MEMO" ? `Credit memo ${id}` : `Invoice ${id}`,
    ),
    facts(
      [
        ["Match", describeMatch(invoice)],
        ["Approval", statusBadge(invoice.approvalStatus)],
        ["Flags", flagList(invoice.match?.flags)],
        ["Billing entity", invoice.billingEntity],
        ["Supplier invoice number", invoice.supplierInvoiceNumber],
        ["Type", invoice.invoiceType],
        ["Issued", invoice.issueDate],
        ["Service month", invoice.serviceMonth],
        invoice.poReference ? ["PO reference", invoice.poReference] : null,
        invoice.sourceFormat && invoice.sourceFormat !== "JSON" ? ["Received as", FORMATS[invoice.sourceFormat]] : null,
        ["Subtotal (debited)", formatMoney(invoice.subtotal, invoice.currency)],
        ["Total", formatMoney(invoice.total, invoice.currency)],
        invoice.match?.availableBalance
          ? ["Balance before", formatMoney(invoice.match.availableBalance, invoice.currency)]
          : null,
        invoice.originalInvoiceId ? ["Credits", invoice.originalInvoiceId] : null,
      ].filter(Boolean),
    ),
    explanation(invoice),
    problem,
    h("div", { class: "actions" }, actions),
  );
  return card;
}

function uploadForm(onUploaded) {
  const summary = errorSummary();
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "upload-title", novalidate: true },
    h("h2", { id: "upload-title" }, "Upload an invoice"),
    summary,
    field({
      label: "Invoice file (JSON, UBL or CII XML, Factur-X PDF)",
      name: "file",
      type: "file",
      accept: ".json,.xml,.pdf,application/json,application/xml,text/xml,application/pdf",
    }),
    field({
      label: "Invoice document (JSON)",
      name: "document",
      kind: "textarea",
      rows: 10,
      spellcheck: "false",
      required: true,
      hint: "Choosing a JSON file puts its content here (you can also paste or type it); an XML or PDF file is sent as it is.",
      value: EXAMPLE,
    }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Upload")),
  );
  const documentControl = form.elements.namedItem("document");
  // An e-invoice file is sent as it is; a JSON file fills the text box, which is what is sent.
  let eInvoice = null;
  form.elements.namedItem("file").addEventListener("change", async (event) => {
    const [file] = event.target.files;
    eInvoice = file && documentType(file) ? file : null;
    documentControl.disabled = eInvoice !== null;
    if (file && !eInvoice) documentControl.value = await file.text();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form, summary);
    const text = documentControl.value;
    let invoiceId;
    if (!eInvoice) {
      try {
        invoiceId = JSON.parse(text).invoiceId; // checked here only; the text itself is what is sent
      } catch (error) {
        showErrors(form, summary, new Error(`The document is not valid JSON: ${error.message}`));
        return;
      }
    }
    const submit = event.submitter;
    submit.disabled = true;
    try {
      const uploaded = eInvoice
        ? await api.uploadInvoiceDocument(eInvoice, documentType(eInvoice))
        : await api.uploadInvoice(text);
      announce(`Invoice ${uploaded.invoiceId} uploaded; matching…`);
      onUploaded(uploaded);
      const settled = await waitForMatching(uploaded.invoiceId ?? invoiceId);
      if (settled) {
        announce(
          settled.matchStatus === "MATCHED"
            ? `Invoice ${settled.invoiceId} matched to ${settled.match.poId}.`
            : `Invoice ${settled.invoiceId} is unmatched: ${settled.unmatchedReason}.`,
        );
        onUploaded(settled);
      }
    } catch (error) {
      showErrors(form, summary, error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

function rejectedUploadsTable(items) {
  if (!items.length) return h("p", {}, "No upload was rejected.");
  const describe = (error) =>
    Array.isArray(error) ? error.map((entry) => `${entry.field ?? ""}: ${entry.msg ?? ""}`).join("; ") : (error ?? "");
  return scrollingTable(
    "Rejected uploads",
    ["Object key", "Received", "Why"],
    items.map((upload) =>
      h(
        "tr",
        {},
        h("th", { scope: "row" }, upload.key),
        h("td", {}, upload.receivedAt),
        h("td", {}, describe(upload.error)),
      ),
    ),
  );
}

export async function renderInvoices(view, { params }) {
  const matchStatus = params.get("matchStatus") ?? "";
  const approvalStatus = params.get("approvalStatus") ?? "";
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const onError = (error) => {
    problem.textContent = `Could not load: ${error.message}`;
    problem.hidden = false;
  };
  const filters = filterForm("Filter invoices", "invoices", [
    { label: "Match status", name: "matchStatus", options: MATCH_STATUSES, value: matchStatus },
    { label: "Approval status", name: "approvalStatus", options: APPROVAL_STATUSES, value: approvalStatus },
  ]);
  const invoices = pagedList({
    label: "Invoices",
    load: (nextToken) => api.listInvoices({ matchStatus, approvalStatus, nextToken, limit: 20 }),
    render: (items) =>
      items.length ? h("div", { class: "cards" }, items.map(invoiceCard)) : h("p", {}, "No invoices here."),
    onError,
  });
  const rejected = pagedList({
    label: "Rejected uploads",
    load: (nextToken) => api.listInvoiceUploads({ status: "REJECTED", nextToken }),
    render: rejectedUploadsTable,
    onError,
  });
  view.append(
    h("h1", { tabindex: -1 }, "Invoices"),
    uploadForm(() => invoices.first()),
    h(
      "section",
      { "aria-labelledby": "invoice-list-title" },
      h("h2", { id: "invoice-list-title" }, "Received invoices"),
      filters,
      problem,
      invoices.element,
    ),
    h(
      "section",
      { "aria-labelledby": "rejected-title" },
      h("h2", { id: "rejected-title" }, "Rejected uploads (through S3)"),
      rejected.element,
    ),
  );
  await Promise.all([invoices.first(), rejected.first()]);
}
