// The purchase orders: a summary of what is committed, invoiced and left per currency, what
// expires soon or runs low, and every PO in a table that filters, sorts, pages and exports.
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Pagination from "@cloudscape-design/components/pagination";
import PropertyFilter from "@cloudscape-design/components/property-filter";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Alert from "@cloudscape-design/components/alert";
import { useCollection } from "@cloudscape-design/collection-hooks";
import { useCallback, useEffect, useMemo, useState } from "react";
import { BalanceBar, GuardedButton, Money, RouteLink, Status, usePageTitle } from "../components/common.jsx";
import { ShowingCount, TablePreferences } from "../components/table-parts.jsx";
import { describeError, navigate, poHref, useNotifyError } from "../context.jsx";
import { api, listAll } from "../lib/api.js";
import { optionsFor, propertyFilter, PROPERTY_FILTER_STRINGS, useSavedPreferences } from "../lib/collection.js";
import { downloadCsv, toCsv } from "../lib/csv.js";
import { label } from "../lib/labels.js";
import { compareAmounts, formatMoney, fromUnits, minorDigits, percentOf, sumUnits, toUnits } from "../lib/money.js";
import { daysToEndOfMonth, monthLabel } from "../lib/months.js";

const PREFERENCES_KEY = "po-console.po-table";
const LOW_BALANCE_PERCENT = 10;

function billingStatusOf(po) {
  if (po.billingStatus) return po.billingStatus;
  if (!po.balanceTracking || po.totalAmount === null) return null;
  const invoiced = toUnits(po.invoicedAmount);
  if (invoiced <= 0n) return "NOT_BILLED";
  return invoiced >= toUnits(po.totalAmount) ? "FULLY_BILLED" : "PARTIALLY_BILLED";
}

/** A PO with the fields the table filters and sorts on. */
export function poRow(po) {
  const days = daysToEndOfMonth(po.expirationMonth);
  const remaining = po.balanceTracking ? percentOf(po.balance, po.totalAmount) : null;
  return {
    ...po,
    billingStatusCode: billingStatusOf(po),
    daysToExpiry: days,
    remainingPercent: remaining,
    tagList: (po.tags ?? []).flatMap(({ key, value }) => (value ? [`${key}:${value}`, key] : [key])),
    statusLabel: label("poStatus", po.status),
  };
}

export function describeDays(days) {
  if (days > 1) return `${days} days`;
  if (days === 1) return "1 day";
  return "Ended";
}

const COLUMNS = [
  {
    id: "poId",
    header: "PO id",
    cell: (po) => <RouteLink href={poHref(po.poId)}>{po.poId}</RouteLink>,
    sortingField: "poId",
    isRowHeader: true,
    alwaysVisible: true,
    width: 150,
  },
  { id: "status", header: "Status", cell: (po) => <Status table="poStatus" code={po.status} />, sortingField: "status", width: 150 },
  {
    id: "billingStatus",
    header: "Billing",
    cell: (po) => label("billingStatus", po.billingStatusCode),
    sortingField: "billingStatusCode",
  },
  { id: "billFrom", header: "Bill-from", cell: (po) => po.billFrom.join(", "), sortingComparator: (a, b) => a.billFrom.join().localeCompare(b.billFrom.join()), width: 170 },
  { id: "effectiveMonth", header: "Effective", cell: (po) => monthLabel(po.effectiveMonth), sortingField: "effectiveMonth" },
  { id: "expirationMonth", header: "Expires", cell: (po) => monthLabel(po.expirationMonth), sortingField: "expirationMonth" },
  {
    id: "totalAmount",
    header: "Total",
    cell: (po) => <Money amount={po.totalAmount} currency={po.currency} />,
    sortingComparator: (a, b) => compareAmounts(a.totalAmount, b.totalAmount),
    width: 140,
  },
  {
    id: "invoicedAmount",
    header: "Invoiced",
    cell: (po) => <Money amount={po.invoicedAmount} currency={po.currency} />,
    sortingComparator: (a, b) => compareAmounts(a.invoicedAmount, b.invoicedAmount),
  },
  {
    id: "balance",
    header: "Balance",
    cell: (po) => (
      <BalanceBar total={po.totalAmount} invoiced={po.invoicedAmount} balance={po.balance} currency={po.currency} label={`Balance of ${po.poId}`} />
    ),
    sortingComparator: (a, b) => (a.remainingPercent ?? 1e9) - (b.remainingPercent ?? 1e9),
    minWidth: 200,
    width: 240,
  },
  {
    id: "daysToExpiry",
    header: "Expires in",
    cell: (po) => describeDays(po.daysToExpiry),
    sortingField: "daysToExpiry",
    width: 120,
  },
  { id: "tags", header: "Tags", cell: (po) => (po.tags ?? []).map(({ key, value }) => (value ? `${key}: ${value}` : key)).join(", ") || "—" },
  { id: "currency", header: "Currency", cell: (po) => po.currency, sortingField: "currency" },
];

const DEFAULT_VISIBLE = ["poId", "status", "billFrom", "totalAmount", "balance", "daysToExpiry"];
const DEFAULT_PREFERENCES = {
  pageSize: 20,
  wrapLines: false,
  stripedRows: false,
  stickyColumns: { first: 1, last: 0 },
  contentDisplay: COLUMNS.map(({ id }) => ({ id, visible: DEFAULT_VISIBLE.includes(id) })),
};

const FILTERING_PROPERTIES = [
  { key: "poId", propertyLabel: "PO id", groupValuesLabel: "PO ids", operators: ["=", "!=", ":", "!:", "^"] },
  { key: "status", propertyLabel: "Status", groupValuesLabel: "Statuses", operators: ["=", "!="] },
  { key: "billFrom", propertyLabel: "Entity", groupValuesLabel: "Entities", operators: ["=", "!=", ":", "!:"] },
  { key: "tagList", propertyLabel: "Tag", groupValuesLabel: "Tags (key:value)", operators: ["=", "!=", ":"] },
  { key: "billingStatusCode", propertyLabel: "Billing", groupValuesLabel: "Billing statuses", operators: ["=", "!="] },
  { key: "currency", propertyLabel: "Currency", groupValuesLabel: "Currencies", operators: ["=", "!="] },
  { key: "daysToExpiry", propertyLabel: "Days to expiry", groupValuesLabel: "Days", operators: ["<=", "<", ">=", ">", "="] },
  { key: "remainingPercent", propertyLabel: "Balance left (%)", groupValuesLabel: "Percent", operators: ["<=", "<", ">=", ">"] },
];

function initialQuery(params) {
  const tokens = [];
  if (params.get("status")) tokens.push({ propertyKey: "status", operator: "=", value: params.get("status") });
  if (params.get("tag")) tokens.push({ propertyKey: "tagList", operator: "=", value: params.get("tag") });
  if (params.get("entity")) tokens.push({ propertyKey: "billFrom", operator: "=", value: params.get("entity") });
  return { tokens, operation: "and" };
}

/** Sums per currency: [{currency, total, invoiced, balance}] (tracked POs only). */
export function totalsByCurrency(pos) {
  const by = new Map();
  for (const po of pos) {
    if (!po.balanceTracking || po.totalAmount === null) continue;
    const entry = by.get(po.currency) ?? { currency: po.currency, count: 0, total: [], invoiced: [], balance: [] };
    entry.count += 1;
    entry.total.push(po.totalAmount);
    entry.invoiced.push(po.invoicedAmount);
    entry.balance.push(po.balance);
    by.set(po.currency, entry);
  }
  return [...by.values()]
    .sort((a, b) => a.currency.localeCompare(b.currency))
    .map((entry) => ({
      currency: entry.currency,
      count: entry.count,
      total: sumUnits(entry.total),
      invoiced: sumUnits(entry.invoiced),
      balance: sumUnits(entry.balance),
    }));
}

const CSV_COLUMNS = [
  ["PO id", (po) => po.poId],
  ["Status", (po) => label("poStatus", po.status)],
  ["Billing", (po) => (po.billingStatusCode ? label("billingStatus", po.billingStatusCode) : "")],
  ["Bill-from", (po) => po.billFrom.join("; ")],
  ["Effective month", (po) => po.effectiveMonth],
  ["Expiration month", (po) => po.expirationMonth],
  ["Days to expiry", (po) => po.daysToExpiry],
  ["Currency", (po) => po.currency],
  ["Total", (po) => po.totalAmount ?? ""],
  ["Invoiced", (po) => po.invoicedAmount ?? ""],
  ["Balance", (po) => po.balance ?? ""],
  ["Tags", (po) => (po.tags ?? []).map(({ key, value }) => (value ? `${key}=${value}` : key)).join("; ")],
];

export function PurchaseOrdersPage({ params }) {
  usePageTitle("Purchase orders");
  const notifyError = useNotifyError();
  const [pos, setPos] = useState(null);
  const [awaiting, setAwaiting] = useState(null);
  const [problem, setProblem] = useState(null);
  const [preferences, setPreferences] = useSavedPreferences(PREFERENCES_KEY, DEFAULT_PREFERENCES);

  const load = useCallback(() => {
    setPos(null);
    setProblem(null);
    listAll((query) => api.listPurchaseOrders(query)).then(
      ({ items }) => setPos(items.map(poRow)),
      (error) => {
        setPos([]);
        setProblem(describeError(error));
      },
    );
    listAll((query) => api.listInvoices(query), { approvalStatus: "SUBMITTED" }, 5).then(
      ({ items }) => setAwaiting(items.length),
      () => setAwaiting(null),
    );
  }, []);
  useEffect(load, [load]);

  const rows = pos ?? [];
  const { items, filteredItemsCount, collectionProps, propertyFilterProps, paginationProps, actions } = useCollection(rows, {
    propertyFiltering: {
      filteringProperties: FILTERING_PROPERTIES,
      filteringFunction: propertyFilter(["poId", "billFrom", "tagList", "statusLabel", "description"]),
      defaultQuery: initialQuery(params),
      empty: <EmptyState />,
      noMatch: (
        <Box textAlign="center" color="inherit">
          <b>No purchase orders match the filter</b>
          <Box padding={{ bottom: "s" }} variant="p" color="inherit">
            Change or clear the filter to see more.
          </Box>
          <Button onClick={() => actions.setPropertyFiltering({ tokens: [], operation: "and" })}>Clear filter</Button>
        </Box>
      ),
    },
    sorting: { defaultState: { sortingColumn: { sortingField: "daysToExpiry" }, isDescending: false } },
    pagination: { pageSize: preferences.pageSize },
    selection: {},
  });
  const filtered = useFilteredSorted(rows, propertyFilterProps.query, collectionProps);
  const totals = useMemo(() => totalsByCurrency(filtered), [filtered]);
  const filteringOptions = useMemo(
    () => [
      ...optionsFor(rows, "poId"),
      ...optionsFor(rows, "status", (code) => label("poStatus", code)),
      ...["ACTIVE", "SUSPENDED", "EXPIRED", "SUSPENDED_EXPIRED", "CLOSED"]
        .filter((code) => !rows.some((po) => po.status === code))
        .map((code) => ({ propertyKey: "status", value: code, label: label("poStatus", code) })),
      ...optionsFor(rows, "billFrom"),
      ...optionsFor(rows, "tagList"),
      ...optionsFor(rows, "billingStatusCode", (code) => label("billingStatus", code)),
      ...optionsFor(rows, "currency"),
      ...[30, 60, 90].map((days) => ({ propertyKey: "daysToExpiry", value: String(days) })),
    ],
    [rows],
  );
  const setQuery = (tokens) => actions.setPropertyFiltering({ tokens, operation: "and" });
  const filteredCount = filteredItemsCount ?? rows.length;

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description="Every purchase order with its balance and time left. Filter, sort and export as you need."
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button iconName="refresh" ariaLabel="Reload purchase orders" onClick={load} disabled={pos === null} />
            <Button
              iconName="download"
              disabled={!filtered.length}
              onClick={() => downloadCsv("purchase-orders.csv", toCsv(filtered, CSV_COLUMNS))}
            >
              Download CSV
            </Button>
            <GuardedButton route={["POST", "/purchase-orders"]} variant="primary" href="#/new-po" onFollow={(event) => { event.preventDefault(); navigate("#/new-po"); }}>
              Add purchase order
            </GuardedButton>
          </SpaceBetween>
        }
      >
        Purchase orders
      </Header>
      {problem ? (
        <Alert type="error" header={`Could not load purchase orders: ${problem.header}`} action={<Button onClick={load}>Retry</Button>}>
          {problem.content}
        </Alert>
      ) : null}
      <Summary pos={pos} awaiting={awaiting} setQuery={setQuery} />
      <Table
        {...collectionProps}
        items={items}
        columnDefinitions={COLUMNS}
        columnDisplay={preferences.contentDisplay}
        wrapLines={preferences.wrapLines}
        stripedRows={preferences.stripedRows}
        stickyColumns={preferences.stickyColumns}
        resizableColumns
        variant="full-page"
        stickyHeader
        trackBy="poId"
        loading={pos === null}
        loadingText="Loading purchase orders"
        ariaLabels={{ tableLabel: "Purchase orders" }}
        enableKeyboardNavigation
        header={
          <Header
            variant="h2"
            counter={pos === null ? "" : filteredCount === rows.length ? `(${rows.length})` : `(${filteredCount}/${rows.length})`}
          >
            All purchase orders
          </Header>
        }
        filter={
          <PropertyFilter
            {...propertyFilterProps}
            filteringOptions={filteringOptions}
            i18nStrings={PROPERTY_FILTER_STRINGS}
            filteringPlaceholder="Find purchase orders by PO id, status, entity or tag"
            countText={`${filteredCount} ${filteredCount === 1 ? "match" : "matches"}`}
            expandToViewport
            hideOperations={false}
          />
        }
        pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
        preferences={
          <TablePreferences preferences={preferences} columns={COLUMNS} onConfirm={setPreferences} />
        }
        footer={
          pos && filtered.length ? (
            <SpaceBetween size="xxs">
              <ShowingCount firstIndex={collectionProps.firstIndex} shown={items.length} total={filteredCount} noun="purchase orders" />
              <Totals totals={totals} />
            </SpaceBetween>
          ) : null
        }
      />
    </SpaceBetween>
  );
}

export const PAGINATION_LABELS = {
  nextPageLabel: "Next page",
  previousPageLabel: "Previous page",
  pageLabel: (pageNumber) => `Page ${pageNumber}`,
};

/** The filtered, sorted items on every page (for totals and CSV), as the collection shows them. */
function useFilteredSorted(rows, query, collectionProps) {
  return useMemo(() => {
    const filter = propertyFilter(["poId", "billFrom", "tagList", "statusLabel", "description"]);
    const kept = rows.filter((row) => filter(row, query));
    const column = collectionProps.sortingColumn;
    if (!column) return kept;
    const compare =
      column.sortingComparator ??
      ((a, b) => {
        const x = a[column.sortingField];
        const y = b[column.sortingField];
        return x === y ? 0 : x > y ? 1 : -1;
      });
    const sorted = [...kept].sort(compare);
    return collectionProps.sortingDescending ? sorted.reverse() : sorted;
  }, [rows, query, collectionProps.sortingColumn, collectionProps.sortingDescending]);
}

function Totals({ totals }) {
  if (!totals.length) return null;
  return (
    <div aria-label="Totals of the purchase orders shown" role="group">
      {totals.map((entry) => (
        <Box key={entry.currency} variant="p" margin={{ vertical: "xxs" }}>
          <b>Totals in {entry.currency}</b> ({entry.count} {entry.count === 1 ? "purchase order" : "purchase orders"}):{" "}
          {formatMoney(entry.total, entry.currency)} committed · {formatMoney(entry.invoiced, entry.currency)} invoiced ·{" "}
          <span className={entry.balance < 0n ? "po-over" : undefined}>{formatMoney(entry.balance, entry.currency)} remaining</span>
        </Box>
      ))}
    </div>
  );
}

function EmptyState() {
  return (
    <Box textAlign="center" color="inherit">
      <b>No purchase orders yet</b>
      <Box padding={{ bottom: "s" }} variant="p" color="inherit">
        Add a purchase order so that invoices can be matched to it.
      </Box>
      <GuardedButton route={["POST", "/purchase-orders"]} href="#/new-po" onFollow={(event) => { event.preventDefault(); navigate("#/new-po"); }}>
        Add purchase order
      </GuardedButton>
    </Box>
  );
}

/** The header of the page: per currency committed / invoiced / remaining, expiring soon, low balance, awaiting approval. */
function Summary({ pos, awaiting, setQuery }) {
  const active = (pos ?? []).filter((po) => po.status === "ACTIVE");
  const totals = totalsByCurrency(active);
  const expiring = (days) => active.filter((po) => po.daysToExpiry > 0 && po.daysToExpiry <= days).length;
  const low = active.filter((po) => po.remainingPercent !== null && po.remainingPercent <= LOW_BALANCE_PERCENT).length;
  const activeToken = { propertyKey: "status", operator: "=", value: "ACTIVE" };
  const loading = pos === null;
  const value = (content) => (loading ? <Box color="text-status-inactive">Loading…</Box> : content);
  return (
    <Container header={<Header variant="h2" description="Active purchase orders">Overview</Header>}>
      <ColumnLayout columns={4} variant="text-grid" minColumnWidth={170}>
        <div>
          <Box variant="awsui-key-label">Committed / invoiced / remaining</Box>
          {value(
            totals.length ? (
              totals.map((entry) => (
                <Box key={entry.currency}>
                  <Box variant="strong">{formatMoney(entry.total, entry.currency)}</Box>
                  <Box variant="small" display="block">
                    {formatMoney(entry.invoiced, entry.currency, { withCode: false })} invoiced ·{" "}
                    <span className={entry.balance < 0n ? "po-over" : undefined}>
                      {formatMoney(entry.balance, entry.currency, { withCode: false })} remaining
                    </span>
                  </Box>
                </Box>
              ))
            ) : (
              <Box>No active purchase orders</Box>
            ),
          )}
        </div>
        <div>
          <Box variant="awsui-key-label">Expiring within</Box>
          {value(
            <SpaceBetween size="xxxs">
              {[30, 60, 90].map((days) => (
                <Link
                  key={days}
                  href={`#/purchase-orders?expiring=${days}`}
                  onFollow={(event) => {
                    event.preventDefault();
                    setQuery([activeToken, { propertyKey: "daysToExpiry", operator: "<=", value: String(days) }]);
                  }}
                >
                  {days} days: {expiring(days)}
                </Link>
              ))}
            </SpaceBetween>,
          )}
        </div>
        <div>
          <Box variant="awsui-key-label">Low balance (≤ {LOW_BALANCE_PERCENT}% left)</Box>
          {value(
            <Link
              fontSize="display-l"
              href="#/purchase-orders?low=1"
              ariaLabel={`${low} purchase orders with a low balance`}
              onFollow={(event) => {
                event.preventDefault();
                setQuery([activeToken, { propertyKey: "remainingPercent", operator: "<=", value: String(LOW_BALANCE_PERCENT) }]);
              }}
            >
              {low}
            </Link>,
          )}
        </div>
        <div>
          <Box variant="awsui-key-label">Invoices awaiting approval</Box>
          {value(
            <RouteLink fontSize="display-l" href="#/invoices?approvalStatus=SUBMITTED" ariaLabel={`${awaiting ?? 0} invoices awaiting approval`}>
              {awaiting ?? "—"}
            </RouteLink>,
          )}
        </div>
      </ColumnLayout>
    </Container>
  );
}

export { fromUnits, minorDigits };
