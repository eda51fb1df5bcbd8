// The one place that talks to the API of shared/API.md. Amounts travel as the strings the API
// sends and the user typed: nothing here turns money into a float.

import { authorizationHeader } from "./auth.js";

/** An error response: status, title and detail (for 422 a list of {field, loc, msg}). A network
 * failure (no response) has status 0. */
export class ApiError extends Error {
  constructor(status, body) {
    const detail = body?.detail;
    super(typeof detail === "string" ? detail : (body?.title ?? `The request failed (${status}).`));
    this.status = status;
    this.title = body?.title ?? "Request failed";
    this.detail = detail;
  }

  /** The 422 list of offending fields ({field, loc, msg}); empty for other errors. */
  get fieldErrors() {
    return Array.isArray(this.detail) ? this.detail : [];
  }
}

let baseUrl = "";
let unauthorizedHandler = () => {};

/** apiUrl: "" (same origin, local mode) or the deployed API's base URL. */
export function configureApi(apiUrl, onUnauthorized) {
  baseUrl = (apiUrl ?? "").replace(/\/+$/, "");
  unauthorizedHandler = onUnauthorized;
}

/** body: a document to send as JSON; rawBody: JSON text (or a file, with its contentType) to send
 * exactly as the user gave it. */
async function request(method, path, { query, body, rawBody, contentType, version } = {}) {
  const url = new URL(`${baseUrl}${path}`, location.href);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json", Authorization: authorizationHeader() };
  const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers["Content-Type"] = contentType ?? "application/json";
  // The change is refused (412) if someone else changed the resource since it was read.
  if (version !== undefined) headers["If-Match"] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, { title: "No connection", detail: "The service could not be reached. Check your connection and try again." });
  }
  const text = await response.text();
  let document = null;
  try {
    document = text ? JSON.parse(text) : null;
  } catch {
    document = { title: `Unexpected response (${response.status})` };
  }
  if (!response.ok) {
    if (response.status === 401) unauthorizedHandler();
    throw new ApiError(response.status, document);
  }
  return document;
}

const poPath = (poId) => `/purchase-orders/${encodeURIComponent(poId)}`;
const invoicePath = (invoiceId) => `/invoices/${encodeURIComponent(invoiceId)}`;

export const api = {
  listPurchaseOrders: (query) => request("GET", "/purchase-orders", { query }),
  getPurchaseOrder: (poId) => request("GET", poPath(poId)),
  createPurchaseOrder: (body) => request("POST", "/purchase-orders", { body }),
  replacePurchaseOrder: (po, body) => request("PUT", poPath(po.poId), { body, version: po.version }),
  deletePurchaseOrder: (po) => request("DELETE", poPath(po.poId), { version: po.version }),
  changeStatus: (po, status) => request("POST", `${poPath(po.poId)}/status`, { body: { status }, version: po.version }),
  addLineItem: (po, body) => request("POST", `${poPath(po.poId)}/line-items`, { body, version: po.version }),
  replaceLineItem: (po, lineItemId, body) =>
    request("PUT", `${poPath(po.poId)}/line-items/${encodeURIComponent(lineItemId)}`, { body, version: po.version }),
  deleteLineItem: (po, lineItemId) =>
    request("DELETE", `${poPath(po.poId)}/line-items/${encodeURIComponent(lineItemId)}`, { version: po.version }),
  purchaseOrderInvoices: (poId, query) => request("GET", `${poPath(poId)}/invoices`, { query }),
  purchaseOrderHistory: (poId, query) => request("GET", `${poPath(poId)}/history`, { query }),

  listInvoices: (query) => request("GET", "/invoices", { query }),
  getInvoice: (invoiceId) => request("GET", invoicePath(invoiceId)),
  /** The original is kept as received, so the text goes as typed (its amounts never pass through a float). */
  uploadInvoice: (text) => request("POST", "/invoices", { rawBody: text }),
  /** An e-invoice file as it is: UBL or CII XML, or a Factur-X / ZUGFeRD PDF. */
  uploadInvoiceDocument: (file, contentType) => request("POST", "/invoices", { rawBody: file, contentType }),
  invoiceDocumentLink: (invoiceId) => request("GET", `${invoicePath(invoiceId)}/document`),
  matchInvoice: (invoice, poId, lineItemId) =>
    request("PUT", `${invoicePath(invoice.invoiceId)}/match`, { body: { poId, lineItemId }, version: invoice.version }),
  unmatchInvoice: (invoice) =>
    request("DELETE", `${invoicePath(invoice.invoiceId)}/match`, { version: invoice.version }),
  /** action: "submit" | "approve" | "reject" (with an optional reason) */
  changeApproval: (invoice, action, body) =>
    request("POST", `${invoicePath(invoice.invoiceId)}/${action}`, { version: invoice.version, body }),
  invoiceHistory: (invoiceId, query) => request("GET", `${invoicePath(invoiceId)}/history`, { query }),
  importAwsInvoices: () => request("POST", "/aws-invoice-imports", { body: {} }),
  listInvoiceUploads: (query) => request("GET", "/invoice-uploads", { query }),

  getSettings: () => request("GET", "/settings"),
  me: () => request("GET", "/me"),
  putSettings: (settings) => request("PUT", "/settings", { body: settings }),
};

/** Every item of a paged list (following nextToken), up to maxPages pages of 100. */
export async function listAll(load, query = {}, maxPages = 20) {
  const items = [];
  let nextToken;
  for (let page = 0; page < maxPages; page += 1) {
    const answer = await load({ ...query, limit: 100, nextToken });
    items.push(...answer.items);
    nextToken = answer.nextToken;
    if (!nextToken) return { items, complete: true };
  }
  return { items, complete: false };
}
