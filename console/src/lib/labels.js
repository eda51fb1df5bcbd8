// The one table of the API's codes and the words the console shows for them. Nothing else in the
// console writes a code on screen: every status, type, reason, flag and action goes through here.

export const LABELS = {
  poStatus: {
    ACTIVE: "Active",
    SUSPENDED: "Suspended",
    EXPIRED: "Expired",
    SUSPENDED_EXPIRED: "Suspended, expired",
    CLOSED: "Closed",
  },
  billingStatus: { NOT_BILLED: "Not billed", PARTIALLY_BILLED: "Partially billed", FULLY_BILLED: "Fully billed" },
  lineItemType: {
    ALL: "All invoice types",
    MONTHLY_USAGE: "Monthly usage",
    SUBSCRIPTION_PURCHASE: "Subscription purchase",
    MARKETPLACE_PURCHASE: "Marketplace transaction",
    MARKETPLACE_BLANKET_USAGE: "Marketplace blanket usage",
    PROFESSIONAL_SERVICES: "Professional services and training",
  },
  recurrence: { NONE: "One amount", MONTHLY: "Monthly", QUARTERLY: "Quarterly", ANNUAL: "Annual" },
  period: { MONTHLY: "month", QUARTERLY: "quarter", ANNUAL: "year" },
  matchStatus: { PENDING: "Matching…", MATCHED: "Matched", UNMATCHED: "Unmatched" },
  approvalStatus: { DRAFT: "Draft", SUBMITTED: "Awaiting approval", APPROVED: "Approved", REJECTED: "Rejected" },
  documentType: { INVOICE: "Invoice", CREDIT_MEMO: "Credit memo" },
  sourceFormat: {
    JSON: "JSON",
    UBL: "UBL e-invoice (XML)",
    CII: "CII e-invoice (XML)",
    FACTURX: "Factur-X / ZUGFeRD PDF",
    AWS: "AWS invoice",
  },
  unmatchedReason: {
    NO_ACTIVE_PO: "No active purchase order covers the invoice's service month.",
    NO_BILL_FROM_MATCH: "No active purchase order lists this billing entity as a bill-from entity.",
    NO_LINE_ITEM_MATCH: "No line item of this invoice type (or of all types) covers the service month.",
    INSUFFICIENT_BALANCE: "No line item has enough balance for it, even within the tolerance (blocking is on).",
    PO_NOT_ELIGIBLE: "The purchase order named on the invoice cannot take it.",
    UNMATCHED_BY_USER: "Unmatched by a user.",
    ORIGINAL_MISMATCH: "This credit memo's currency or billing entity differs from its original invoice's, so it credits nothing.",
  },
  flag: {
    EXCEEDS_BALANCE: "Over the balance: the amount was more than the line item had left.",
    WITHIN_TOLERANCE: "Over the balance, but within the tolerance you allow.",
    LINE_ITEM_MISMATCH: "An invoice line does not fit the PO line item it names (type, months or balance).",
    CURRENCY_MISMATCH: "In another currency than the purchase order: matched, but the balance was not debited.",
    UNKNOWN_PO_REFERENCE: "The invoice names a purchase order this account does not have; it was matched automatically.",
  },
  flagShort: {
    EXCEEDS_BALANCE: "Over balance",
    WITHIN_TOLERANCE: "Within tolerance",
    LINE_ITEM_MISMATCH: "Line mismatch",
    CURRENCY_MISMATCH: "Other currency",
    UNKNOWN_PO_REFERENCE: "Unknown PO reference",
  },
  poAction: {
    CREATED: "Created",
    UPDATED: "Edited",
    STATUS_CHANGED: "Status changed",
    LINE_ITEM_ADDED: "Line item added",
    LINE_ITEM_UPDATED: "Line item edited",
    LINE_ITEM_DELETED: "Line item deleted",
    INVOICE_MATCHED: "Invoice matched",
    INVOICE_UNMATCHED: "Invoice unmatched",
    EXPIRED: "Expired",
    NOTIFIED: "Notice sent",
    DELETED: "Deleted",
  },
  invoiceAction: {
    RECEIVED: "Received",
    MATCHED: "Matched",
    UNMATCHED: "Unmatched",
    REMATCHED: "Matched again",
    CREDITED: "Credited by a credit memo",
    SUBMITTED: "Submitted for approval",
    APPROVED: "Approved",
    REJECTED: "Rejected",
  },
  notification: {
    PO_EXPIRING: "Expiry notice",
    PO_EXPIRED: "Expired notice",
    BALANCE_ALERT: "Balance alert",
    BALANCE_FORECAST: "Forecast alert",
  },
  uploadStatus: { ACCEPTED: "Accepted", DUPLICATE: "Duplicate", REJECTED: "Rejected" },
  fieldName: {
    poId: "PO id",
    description: "Description",
    billFrom: "Bill-from entities",
    effectiveMonth: "Effective month",
    expirationMonth: "Expiration month",
    contacts: "Contacts",
    lineItems: "Line items",
    lineItemId: "Line item number",
    type: "Type",
    startMonth: "Start month",
    endMonth: "End month",
    recurrence: "Recurrence",
    amount: "Amount",
    name: "Name",
    email: "Email",
    phone: "Phone",
    shipTo: "Ship-to",
    billTo: "Bill-to",
    tags: "Tags",
    key: "Key",
    value: "Value",
    currency: "Currency",
    paymentTerms: "Payment terms",
  },
};

/** The words for a code: label("poStatus", "ACTIVE") → "Active"; an unknown code is made readable. */
export function label(table, code) {
  if (code === null || code === undefined || code === "") return "—";
  return LABELS[table]?.[code] ?? humanizeCode(code);
}

export function humanizeCode(code) {
  const text = String(code).toLowerCase().replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Cloudscape StatusIndicator types for each status. */
export const STATUS_TYPE = {
  poStatus: { ACTIVE: "success", SUSPENDED: "stopped", EXPIRED: "stopped", SUSPENDED_EXPIRED: "stopped", CLOSED: "info" },
  matchStatus: { PENDING: "in-progress", MATCHED: "success", UNMATCHED: "warning" },
  approvalStatus: { DRAFT: "pending", SUBMITTED: "in-progress", APPROVED: "success", REJECTED: "error" },
  uploadStatus: { ACCEPTED: "success", DUPLICATE: "info", REJECTED: "error" },
};

const PATTERN_HINTS = [
  [/\[0-9\]\{4\}-\(0\[1-9\]\|1\[0-2\]\)|YYYY-MM/, "must be a month such as 2026-07"],
  [/A-Za-z0-9_ \.:=\+\\?-%@#|\[A-Za-z0-9 _/, "may use only letters, digits, spaces and _ . : = + - % @ #"],
  [/A-Za-z0-9\._-|A-Za-z0-9\.\\_-/, "may use only letters, digits and . _ -"],
  [/\[A-Z\]\{3\}/, "must be a three-letter currency code such as USD"],
];

/** An API validation message in plain words ("Input should be a valid integer" → "must be a whole number"). */
export function plainMessage(message) {
  const text = String(message ?? "");
  let match;
  if ((match = /^String should match pattern '(.*)'$/.exec(text))) {
    for (const [pattern, words] of PATTERN_HINTS) if (pattern.test(match[1])) return words;
    return "is not in the expected form";
  }
  if (/^Input should be a valid integer/.test(text)) return "must be a whole number";
  if (/^Input should be a valid (number|decimal)/.test(text)) return "must be a number";
  if (/^Input should be a valid (boolean)/.test(text)) return "must be yes or no";
  if (/^Input should be a valid email|value is not a valid email/.test(text)) return "must be an e-mail address";
  if (/^Field required$/.test(text)) return "is required";
  if ((match = /^String should have at least (\d+) characters?$/.exec(text)))
    return match[1] === "1" ? "is required" : `needs at least ${match[1]} characters`;
  if ((match = /^String should have at most (\d+) characters?$/.exec(text))) return `may have at most ${match[1]} characters`;
  if ((match = /^List should have at least (\d+) items?/.exec(text))) return `needs at least ${match[1]}`;
  if ((match = /^List should have at most (\d+) items?/.exec(text))) return `may have at most ${match[1]}`;
  if ((match = /^Input should be (.*)$/.exec(text)) && /'[A-Z_]+'/.test(match[1])) {
    const options = [...match[1].matchAll(/'([A-Z_]+)'/g)].map(([, code]) => humanizeCode(code));
    return `must be one of: ${options.join(", ")}`;
  }
  if (/Extra inputs are not permitted/.test(text)) return "is not a field the service accepts";
  if (/must be a decimal string/.test(text)) return "must be an amount such as 1000.00";
  if (/^Value error, /.test(text)) return text.replace(/^Value error, /, "");
  return text.replace(/\bbillFrom\b/g, "bill-from").replace(/\beffectiveMonth\b/g, "the effective month").replace(/\bexpirationMonth\b/g, "the expiration month");
}

/** "lineItems[1].startMonth" → "Line item 2: Start month" */
export function describeField(path) {
  if (!path) return "";
  const parts = [];
  for (const [, name, index] of String(path).matchAll(/([A-Za-z]+)(?:\[(\d+)\])?/g)) {
    if (name === "body") continue;
    if (index !== undefined) {
      const singular = { lineItems: "Line item", contacts: "Contact", billFrom: "Bill-from entity", tags: "Tag", lines: "Line" }[name];
      parts.push(`${singular ?? LABELS.fieldName[name] ?? name} ${Number(index) + 1}`);
    } else {
      parts.push(LABELS.fieldName[name] ?? humanizeCode(name.replace(/([a-z])([A-Z])/g, "$1_$2")));
    }
  }
  return parts.join(": ");
}

/** A 409 or other error detail: the API's sentence with its codes in words. */
export function plainDetail(detail) {
  let text = String(detail ?? "");
  for (const [code, words] of Object.entries(LABELS.unmatchedReason)) text = text.replace(new RegExp(`\\b${code}\\b:?`, "g"), words.replace(/\.$/, ""));
  for (const table of ["approvalStatus", "poStatus", "matchStatus"])
    for (const [code, words] of Object.entries(LABELS[table])) text = text.replace(new RegExp(`\\b${code}\\b`, "g"), words.toLowerCase());
  return text.charAt(0).toUpperCase() + text.slice(1);
}
