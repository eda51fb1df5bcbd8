// Audit trails in words, and a PO's balance after each entry (for its history and its chart).
import { label, LABELS } from "./labels.js";
import { formatMoney, toUnits } from "./money.js";
import { monthLabel, periodCount } from "./months.js";

function lineItemTotal(item) {
  if (!item || item.amount === null || item.amount === undefined) return 0n;
  const periods = item.startMonth && item.endMonth ? periodCount(item.startMonth, item.endMonth, item.recurrence ?? "NONE") : 1;
  return toUnits(item.amount) * BigInt(periods);
}

/** The net debit of an INVOICE_MATCHED / INVOICE_UNMATCHED entry (negative: a credit). */
export function movementOf(entry) {
  const movements = entry.details?.movements ?? [];
  return movements.reduce((sum, movement) => sum + (toUnits(movement.amount) ?? 0n), 0n);
}

/**
 * The PO's total and balance after each entry: entries newest first (as the API lists them),
 * returns a Map entry → {total, invoiced, balance} (BigInt units), anchored to the PO as it now is.
 */
export function balanceTimeline(entries, po) {
  const result = new Map();
  if (!po?.balanceTracking) return result;
  const items = new Map();
  let invoiced = 0n;
  const total = () => [...items.values()].reduce((sum, item) => sum + lineItemTotal(item), 0n);
  const computed = [];
  for (const entry of [...entries].reverse()) {
    const details = entry.details ?? {};
    switch (entry.action) {
      case "CREATED":
        items.clear();
        for (const item of details.purchaseOrder?.lineItems ?? []) items.set(item.lineItemId, { ...item });
        invoiced = 0n;
        break;
      case "LINE_ITEM_ADDED":
        if (details.lineItem) items.set(details.lineItemId, { ...details.lineItem });
        break;
      case "LINE_ITEM_DELETED":
        items.delete(details.lineItemId);
        break;
      case "LINE_ITEM_UPDATED": {
        const item = items.get(details.lineItemId);
        if (item) for (const [field, change] of Object.entries(details.changes ?? {})) item[field] = change?.new;
        break;
      }
      case "UPDATED": {
        const changes = details.changes?.lineItems;
        if (changes) {
          for (const added of changes.added ?? []) if (added?.lineItemId) items.set(added.lineItemId, { ...added });
          for (const removed of changes.removed ?? []) items.delete(typeof removed === "string" ? removed : removed?.lineItemId);
          for (const [id, fields] of Object.entries(changes.changed ?? {})) {
            const item = items.get(id);
            if (item) for (const [field, change] of Object.entries(fields)) item[field] = change?.new;
          }
        }
        break;
      }
      case "INVOICE_MATCHED":
      case "INVOICE_UNMATCHED":
        invoiced += movementOf(entry);
        break;
      default:
        break;
    }
    computed.push([entry, total(), invoiced]);
  }
  if (!computed.length) return result;
  const [, lastTotal, lastInvoiced] = computed[computed.length - 1];
  const totalOffset = (toUnits(po.totalAmount) ?? 0n) - lastTotal;
  const invoicedOffset = (toUnits(po.invoicedAmount) ?? 0n) - lastInvoiced;
  for (const [entry, entryTotal, entryInvoiced] of computed) {
    const t = entryTotal + totalOffset;
    const i = entryInvoiced + invoicedOffset;
    result.set(entry, { total: t, invoiced: i, balance: t - i });
  }
  return result;
}

function lineNames(details) {
  const ids = details.lineItems ?? [...new Set((details.movements ?? []).map((movement) => movement.lineItemId))];
  if (!ids?.length) return "";
  return ids.length === 1 ? `line ${ids[0]}` : `lines ${ids.join(", ")}`;
}

function changeList(changes, currency) {
  return Object.entries(changes ?? {})
    .filter(([field]) => field !== "lineItems")
    .map(([field, change]) => {
      const name = (LABELS.fieldName[field] ?? field).toLowerCase();
      const show = (value) => {
        if (value === null || value === undefined || value === "") return "none";
        if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? v.email ?? v.key ?? JSON.stringify(v) : v)).join(", ") || "none";
        if (typeof value === "object") return value.name ?? Object.values(value).filter(Boolean).join(", ");
        if (field === "amount") return formatMoney(value, currency);
        if (/Month$/.test(field)) return monthLabel(value);
        if (field === "type") return label("lineItemType", value);
        if (field === "recurrence") return label("recurrence", value);
        if (field === "status") return label("poStatus", value);
        return String(value);
      };
      return `${name} ${show(change?.old)} → ${show(change?.new)}`;
    });
}

/** A PO audit entry in one sentence; after: its balance after the entry (BigInt) or undefined. */
export function describePoEntry(entry, currency, after) {
  const details = entry.details ?? {};
  const balance = after !== undefined ? `, balance ${formatMoney(after.balance, currency, { withCode: false })}` : "";
  switch (entry.action) {
    case "CREATED": {
      const count = details.purchaseOrder?.lineItems?.length ?? 0;
      const total = after ? ` totalling ${formatMoney(after.total, currency)}` : "";
      return `Created with ${count} ${count === 1 ? "line item" : "line items"}${total}`;
    }
    case "UPDATED": {
      const parts = changeList(details.changes, currency);
      const items = details.changes?.lineItems;
      if (items) {
        for (const added of items.added ?? []) parts.push(`line ${added.lineItemId ?? added} added`);
        for (const removed of items.removed ?? []) parts.push(`line ${removed.lineItemId ?? removed} removed`);
        for (const [id, fields] of Object.entries(items.changed ?? {})) parts.push(`line ${id}: ${changeList(fields, currency).join(", ")}`);
      }
      return `Edited: ${parts.join("; ") || "no visible change"}`;
    }
    case "STATUS_CHANGED":
      return `Status changed from ${label("poStatus", details.old)} to ${label("poStatus", details.new)}`;
    case "LINE_ITEM_ADDED": {
      const item = details.lineItem ?? {};
      const amount = item.amount ? `, ${formatMoney(item.amount, currency)}${item.recurrence && item.recurrence !== "NONE" ? ` per ${LABELS.period[item.recurrence]}` : ""}` : "";
      return `Line ${details.lineItemId} added: ${label("lineItemType", item.type)}${amount}${balance}`;
    }
    case "LINE_ITEM_UPDATED":
      return `Line ${details.lineItemId} edited: ${changeList(details.changes, currency).join(", ") || "no visible change"}${balance}`;
    case "LINE_ITEM_DELETED":
      return `Line ${details.lineItemId} deleted${balance}`;
    case "INVOICE_MATCHED": {
      const net = movementOf(entry);
      const memo = details.documentType === "CREDIT_MEMO";
      const what = `${memo ? "Credit memo " : ""}${details.invoiceId}`;
      const where = lineNames(details);
      if (!(details.movements ?? []).length) return `${what} matched to ${where || "this purchase order"}: not debited (other currency)`;
      const amount = formatMoney(-net, currency, { withCode: false, signDisplay: "always" });
      return `${what} ${memo ? "credited" : "matched to"} ${where}: ${amount}${balance}`;
    }
    case "INVOICE_UNMATCHED": {
      const net = movementOf(entry);
      const why = { REMATCH: " (matched elsewhere)", REJECTED: " (rejected)", UNMATCHED_BY_USER: " (by a user)", CREDIT_MEMO_REJECTED: " (credit memo rejected)" }[details.reason] ?? "";
      const amount = net ? `: ${formatMoney(-net, currency, { withCode: false, signDisplay: "always" })} back` : "";
      return `${details.invoiceId} unmatched from ${lineNames(details) || "this purchase order"}${why}${amount}${balance}`;
    }
    case "EXPIRED":
      return "Expired at the end of its expiration month";
    case "NOTIFIED":
      return `${label("notification", details.kind)} sent to ${(details.to ?? []).join(", ") || "its contacts"}${details.subject ? `: “${details.subject}”` : ""}`;
    case "DELETED":
      return "Deleted";
    default:
      return label("poAction", entry.action);
  }
}

export function describeActor(actor) {
  if (!actor) return "unknown";
  if (actor.userId === "system") return "the service";
  return actor.email ?? actor.userId;
}

/** An invoice audit entry in one sentence. */
export function describeInvoiceEntry(entry, invoice) {
  const details = entry.details ?? {};
  const currency = invoice?.currency;
  switch (entry.action) {
    case "RECEIVED":
      return `Received (${label("documentType", details.documentType ?? invoice?.documentType)})`;
    case "MATCHED":
    case "REMATCHED": {
      const where = `purchase order ${details.poId}, line ${details.lineItemId ?? (details.lines ?? []).map((line) => line.lineItemId).join(", ")}`;
      const how = details.manual ? " by hand" : "";
      const debit = details.debited === false ? " (not debited: other currency)" : details.amount ? `: ${formatMoney(details.amount, currency)}` : "";
      return `${entry.action === "REMATCHED" ? "Matched again" : "Matched"}${how} to ${where}${debit}`;
    }
    case "UNMATCHED":
      return `Unmatched${details.reason ? ` (${label("unmatchedReason", details.reason).replace(/\.$/, "")})` : ""}${details.amount ? `: ${formatMoney(details.amount, currency)} credited back` : ""}`;
    case "CREDITED":
      return `Credited ${formatMoney(details.amount, currency)} by credit memo ${details.creditMemoId}`;
    case "SUBMITTED":
      return "Submitted for approval";
    case "APPROVED":
      return "Approved";
    case "REJECTED":
      return `Rejected${details.reason ? `: “${details.reason}”` : ""}`;
    default:
      return label("invoiceAction", entry.action);
  }
}
