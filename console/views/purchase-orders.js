// The dashboard: every purchase order with its balance and time left, filtered by status, paged.

import { api } from "../api.js";
import {
  balanceBar,
  describeDaysToExpiry,
  formatMoney,
  h,
  pagedList,
  poHref,
  scrollingTable,
  statusBadge,
} from "../dom.js";
import { filterForm } from "../forms.js";

const STATUSES = [
  ["", "All"],
  ["ACTIVE", "Active"],
  ["SUSPENDED", "Suspended"],
  ["EXPIRED", "Expired"],
];
const PAGE_SIZES = ["10", "25", "50"];

function purchaseOrderRow(po) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, h("a", { href: poHref(po.poId) }, po.poId)),
    h("td", {}, statusBadge(po.status)),
    h("td", {}, po.billFrom.join(", ")),
    h("td", {}, po.effectiveMonth),
    h("td", {}, po.expirationMonth),
    h("td", { class: "number" }, formatMoney(po.totalAmount, po.currency)),
    h("td", { class: "number" }, formatMoney(po.invoicedAmount, po.currency)),
    h("td", { class: "number" }, balanceBar(po.balance, po.invoicedAmount, po.currency)),
    h("td", { class: "number" }, describeDaysToExpiry(po.expirationMonth)),
  );
}

function purchaseOrderTable(items) {
  if (!items.length) return h("p", {}, "No purchase orders here yet. ", h("a", { href: "#/new-po" }, "Add one"), ".");
  const headers = [
    "PO",
    "Status",
    "Bill-from",
    "Effective",
    "Expiration",
    "Total",
    "Invoiced",
    "Balance",
    "Days to expiry",
  ];
  return scrollingTable("Purchase orders", headers, items.map(purchaseOrderRow));
}

export async function renderPurchaseOrders(view, { params }) {
  const status = params.get("status") ?? "";
  const limit = PAGE_SIZES.includes(params.get("limit")) ? params.get("limit") : PAGE_SIZES[0];
  const problem = h("p", { class: "error", role: "alert", hidden: true });
  const filters = filterForm("Filter purchase orders", "purchase-orders", [
    { label: "Status", name: "status", options: STATUSES, value: status },
    { label: "Per page", name: "limit", options: PAGE_SIZES.map((size) => [size, size]), value: limit },
  ]);
  const list = pagedList({
    label: "Purchase orders",
    load: (nextToken) => api.listPurchaseOrders({ status, limit, nextToken }),
    render: purchaseOrderTable,
    onError: (error) => {
      problem.textContent = `Could not load purchase orders: ${error.message}`;
      problem.hidden = false;
    },
  });
  view.append(
    h(
      "div",
      { class: "title-row" },
      h("h1", { tabindex: -1 }, "Purchase orders"),
      h("a", { class: "button", href: "#/new-po" }, "Add purchase order"),
    ),
    filters,
    problem,
    list.element,
  );
  await list.first();
}
