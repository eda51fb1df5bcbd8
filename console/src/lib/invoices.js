// What an invoice did to a purchase order, and why it matched where it did, in plain words.
import { label } from "./labels.js";
import { formatMoney, toUnits } from "./money.js";
import { monthLabel } from "./months.js";

export const isCreditMemo = (invoice) => invoice.documentType === "CREDIT_MEMO";
export const notDebited = (invoice) => (invoice.match?.flags ?? []).includes("CURRENCY_MISMATCH");

/** The invoice's signed amount: a credit memo is negative. */
export function signedSubtotal(invoice) {
  const units = toUnits(invoice.subtotal) ?? 0n;
  return isCreditMemo(invoice) ? -units : units;
}

/**
 * What the invoice did to its PO's balance: {kind: "debit" | "credit" | "not-debited" | "none", text}.
 * A credit memo credits; an invoice in another currency than its PO is matched but not debited.
 */
export function balanceEffect(invoice) {
  const currency = invoice.currency;
  if (invoice.matchStatus !== "MATCHED") return { kind: "none", text: "Not debited (not matched)" };
  if (notDebited(invoice)) return { kind: "not-debited", text: `Not debited (${currency} invoice, purchase order in another currency)` };
  const amount = invoice.match?.amount ?? invoice.subtotal;
  if (isCreditMemo(invoice)) return { kind: "credit", text: `Credited ${formatMoney(amount, currency)}`, units: -(toUnits(amount) ?? 0n) };
  return { kind: "debit", text: `Debited ${formatMoney(amount, currency)}`, units: toUnits(amount) ?? 0n };
}

export function matchedLines(invoice) {
  const match = invoice.match;
  if (!match) return "";
  if (match.lineItemId) return match.lineItemId;
  return [...new Set((match.lines ?? []).map((line) => line.lineItemId))].join(", ");
}

function candidateWhy(candidate) {
  const parts = [];
  parts.push(candidate.exactType ? "its type is the invoice's own" : "it takes all invoice types");
  if (candidate.availableBalance !== null && candidate.availableBalance !== undefined)
    parts.push(candidate.covers ? `its balance (${formatMoney(candidate.availableBalance)}) covered the amount` : `its balance (${formatMoney(candidate.availableBalance)}) did not cover the amount`);
  else parts.push("it does not track a balance");
  return parts.join(" and ");
}

/** The match explanation as sentences: {summary, candidates: [text], excluded: [text], notes: [text]}. */
export function explainMatch(invoice, poCurrency) {
  const explained = invoice.matchExplanation ?? {};
  const currency = invoice.currency;
  const result = { summary: "", candidates: [], excluded: [], notes: [] };
  if (invoice.matchStatus === "PENDING") {
    result.summary = "The invoice is being matched. This page updates when it is done.";
    return result;
  }
  if (explained.creditMemo) {
    const memo = explained.creditMemo;
    result.summary =
      invoice.matchStatus === "MATCHED"
        ? `This credit memo credits the line item its original invoice ${memo.originalInvoiceId} was matched to: ${formatMoney(memo.credited, currency)} of the ${formatMoney(memo.requested, currency)} it asks for.`
        : `This credit memo is waiting for its original invoice ${memo.originalInvoiceId ?? invoice.originalInvoiceId ?? ""} to be matched.`;
    if (memo.credited !== undefined && toUnits(memo.credited) < toUnits(memo.requested))
      result.notes.push("A credit memo never credits more than its original invoice still holds on the purchase order.");
    return result;
  }
  if (explained.manual) {
    const previous = explained.manual.previous;
    result.notes.push(
      `Matched by hand by ${explained.manual.by ?? "a user"}${previous?.poId ? ` (it was on purchase order ${previous.poId}, line ${previous.lineItemId ?? "—"})` : ""}.`,
    );
  }
  if (invoice.matchStatus === "MATCHED") {
    const match = invoice.match;
    const month = match.month ?? invoice.serviceMonth;
    const balance = match.availableBalance ? ` It had ${formatMoney(match.availableBalance, poCurrency ?? currency)} left${month ? ` for ${monthLabel(month)}` : ""} before this invoice.` : "";
    result.summary = `Matched to purchase order ${match.poId}, line ${matchedLines(invoice)}, because it is active in ${monthLabel(invoice.serviceMonth)}, lists ${invoice.billingEntity} as a bill-from entity and has a line item for ${label("lineItemType", invoice.invoiceType).toLowerCase()}.${balance}`;
  } else if (invoice.matchStatus === "UNMATCHED") {
    result.summary = `Not matched: ${label("unmatchedReason", invoice.unmatchedReason)}`;
  }
  for (const candidate of explained.candidates ?? []) {
    const who = `Purchase order ${candidate.poId}, line ${candidate.lineItemId}`;
    if (candidate.outcome === "SELECTED") result.candidates.push(`${who} was chosen: ${candidateWhy(candidate)}.`);
    else result.candidates.push(`${who} was passed over${candidate.reason ? ` because ${candidate.reason.replace(/^./, (c) => c.toLowerCase())}` : ""} (${candidateWhy(candidate)}).`);
  }
  if (explained.candidateCount > (explained.candidates ?? []).length)
    result.candidates.push(`…and ${explained.candidateCount - explained.candidates.length} more line items that ranked lower.`);
  for (const line of explained.lines ?? []) {
    result.candidates.push(`Invoice line ${line.lineNumber} went to line item ${line.lineItemId}${line.how ? ` (${line.how})` : ""}.`);
  }
  for (const excluded of explained.excluded ?? []) {
    result.excluded.push(`Purchase order ${excluded.poId} was left out: ${excluded.reason}.`);
  }
  if (explained.excludedCount > (explained.excluded ?? []).length)
    result.excluded.push(`…and ${explained.excludedCount - explained.excluded.length} more purchase orders left out.`);
  return result;
}
