// The invoice queue: every invoice, filtered by match and approval status, PO, entity, type and
// issue date, searched by invoice or supplier number, sorted, exported, and submitted or approved
// in bulk where the user's roles allow.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import DateRangePicker from "@cloudscape-design/components/date-range-picker";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import PropertyFilter from "@cloudscape-design/components/property-filter";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useCollection } from "@cloudscape-design/collection-hooks";
import { useCallback, useEffect, useMemo, useState } from "react";
import { GuardedButton, RouteLink, Status, usePageTitle } from "../components/common.jsx";
import { ShowingCount, TablePreferences } from "../components/table-parts.jsx";
import { describeError, invoiceHref, navigate, poHref, useFlash, useSession } from "../context.jsx";
import { api, listAll } from "../lib/api.js";
import { optionsFor, propertyFilter, PROPERTY_FILTER_STRINGS, useSavedPreferences } from "../lib/collection.js";
import { downloadCsv, toCsv } from "../lib/csv.js";
import { balanceEffect, isCreditMemo, matchedLines, signedSubtotal } from "../lib/invoices.js";
import { label } from "../lib/labels.js";
import { formatMoney, fromUnits, minorDigits } from "../lib/money.js";
import { monthLabel } from "../lib/months.js";
import { PAGINATION_LABELS } from "./purchase-orders.jsx";

const PREFERENCES_KEY = "po-console.invoice-table";

function invoiceRow(invoice, knownPos) {
  return {
    ...invoice,
    poOf: invoice.match?.poId ?? invoice.poId ?? null,
    poExists: invoice.match?.poId ? knownPos.has(invoice.match.poId) : true,
    numbers: [invoice.invoiceId, invoice.supplierInvoiceNumber].filter(Boolean),
    flags: invoice.match?.flags ?? [],
    signed: signedSubtotal(invoice),
  };
}

export function PoCell({ invoice }) {
  const poId = invoice.match?.poId;
  if (!poId) return invoice.matchStatus === "PENDING" ? "—" : "None";
  if (invoice.poExists === false) return <span>{poId} (deleted)</span>;
  return (
    <span>
      <RouteLink href={poHref(poId)}>{poId}</RouteLink>
      <Box variant="small" display="block">
        line {matchedLines(invoice)}
      </Box>
    </span>
  );
}

const COLUMNS = [
  {
    id: "invoiceId",
    header: "Invoice",
    isRowHeader: true,
    alwaysVisible: true,
    sortingField: "invoiceId",
    cell: (invoice) => (
      <span>
        <RouteLink href={invoiceHref(invoice.invoiceId)}>{invoice.invoiceId}</RouteLink>
        {invoice.supplierInvoiceNumber && invoice.supplierInvoiceNumber !== invoice.invoiceId ? (
          <Box variant="small" display="block">
            Supplier no. {invoice.supplierInvoiceNumber}
          </Box>
        ) : null}
      </span>
    ),
  },
  { id: "documentType", header: "Document", sortingField: "documentType", cell: (invoice) => label("documentType", invoice.documentType) },
  { id: "billingEntity", header: "Billing entity", sortingField: "billingEntity", cell: (invoice) => invoice.billingEntity },
  { id: "invoiceType", header: "Type", sortingField: "invoiceType", cell: (invoice) => label("lineItemType", invoice.invoiceType) },
  { id: "issueDate", header: "Issued", sortingField: "issueDate", cell: (invoice) => invoice.issueDate },
  { id: "serviceMonth", header: "Service month", sortingField: "serviceMonth", cell: (invoice) => monthLabel(invoice.serviceMonth) },
  {
    id: "subtotal",
    header: "Amount (excl. tax)",
    sortingComparator: (a, b) => (a.signed < b.signed ? -1 : a.signed > b.signed ? 1 : 0),
    cell: (invoice) => (
      <span className={isCreditMemo(invoice) ? "po-credit po-nowrap" : "po-nowrap"}>
        {formatMoney(fromUnits(invoice.signed, minorDigits(invoice.currency)), invoice.currency)}
        {isCreditMemo(invoice) ? " credit" : ""}
      </span>
    ),
  },
  { id: "matchStatus", header: "Match", sortingField: "matchStatus", cell: (invoice) => <Status table="matchStatus" code={invoice.matchStatus} /> },
  { id: "po", header: "Purchase order", sortingField: "poOf", cell: (invoice) => <PoCell invoice={invoice} /> },
  {
    id: "effect",
    header: "Effect on the balance",
    cell: (invoice) => {
      const effect = balanceEffect(invoice);
      return <span className={effect.kind === "credit" ? "po-credit" : undefined}>{effect.text}</span>;
    },
  },
  { id: "approvalStatus", header: "Approval", sortingField: "approvalStatus", cell: (invoice) => <Status table="approvalStatus" code={invoice.approvalStatus} /> },
  { id: "flags", header: "Flags", cell: (invoice) => invoice.flags.map((flag) => label("flagShort", flag)).join(", ") || "None" },
  { id: "total", header: "Total (incl. tax)", cell: (invoice) => formatMoney(invoice.total, invoice.currency) },
];
const DEFAULT_VISIBLE = ["invoiceId", "billingEntity", "issueDate", "subtotal", "matchStatus", "po", "approvalStatus"];
const DEFAULT_PREFERENCES = {
  pageSize: 20,
  wrapLines: true,
  stripedRows: false,
  stickyColumns: { first: 1, last: 0 },
  contentDisplay: COLUMNS.map(({ id }) => ({ id, visible: DEFAULT_VISIBLE.includes(id) })),
};

const FILTERING_PROPERTIES = [
  { key: "matchStatus", propertyLabel: "Match status", groupValuesLabel: "Match statuses", operators: ["=", "!="] },
  { key: "approvalStatus", propertyLabel: "Approval status", groupValuesLabel: "Approval statuses", operators: ["=", "!="] },
  { key: "poOf", propertyLabel: "Purchase order", groupValuesLabel: "Purchase orders", operators: ["=", "!=", ":"] },
  { key: "billingEntity", propertyLabel: "Entity", groupValuesLabel: "Entities", operators: ["=", "!=", ":"] },
  { key: "invoiceType", propertyLabel: "Type", groupValuesLabel: "Types", operators: ["=", "!="] },
  { key: "documentType", propertyLabel: "Document", groupValuesLabel: "Documents", operators: ["=", "!="] },
  { key: "flags", propertyLabel: "Flag", groupValuesLabel: "Flags", operators: ["=", "!="] },
  { key: "currency", propertyLabel: "Currency", groupValuesLabel: "Currencies", operators: ["=", "!="] },
  { key: "numbers", propertyLabel: "Invoice or supplier number", groupValuesLabel: "Numbers", operators: [":", "="] },
];

function initialQuery(params) {
  const tokens = [];
  for (const [param, key] of [
    ["poId", "poOf"],
    ["matchStatus", "matchStatus"],
    ["approvalStatus", "approvalStatus"],
    ["entity", "billingEntity"],
  ]) {
    if (params.get(param)) tokens.push({ propertyKey: key, operator: "=", value: params.get(param) });
  }
  return { tokens, operation: "and" };
}

function inRange(date, range) {
  if (!range || !date) return true;
  if (range.type === "absolute") return date >= range.startDate.slice(0, 10) && date <= range.endDate.slice(0, 10);
  const days = { day: 1, week: 7, month: 30, year: 365 }[range.unit] ?? 1;
  const since = new Date(Date.now() - range.amount * days * 86_400_000).toISOString().slice(0, 10);
  return date >= since;
}

const CSV_COLUMNS = [
  ["Invoice", (invoice) => invoice.invoiceId],
  ["Supplier invoice number", (invoice) => invoice.supplierInvoiceNumber],
  ["Document", (invoice) => label("documentType", invoice.documentType)],
  ["Billing entity", (invoice) => invoice.billingEntity],
  ["Type", (invoice) => label("lineItemType", invoice.invoiceType)],
  ["Issue date", (invoice) => invoice.issueDate],
  ["Service month", (invoice) => invoice.serviceMonth],
  ["Currency", (invoice) => invoice.currency],
  ["Amount excl. tax (credits negative)", (invoice) => fromUnits(invoice.signed, minorDigits(invoice.currency))],
  ["Tax", (invoice) => invoice.tax],
  ["Total", (invoice) => invoice.total],
  ["Match", (invoice) => label("matchStatus", invoice.matchStatus)],
  ["Purchase order", (invoice) => invoice.match?.poId ?? ""],
  ["Line item", (invoice) => matchedLines(invoice)],
  ["Effect on the balance", (invoice) => balanceEffect(invoice).text],
  ["Approval", (invoice) => label("approvalStatus", invoice.approvalStatus)],
  ["Flags", (invoice) => invoice.flags.map((flag) => label("flagShort", flag)).join("; ")],
  ["Unmatched reason", (invoice) => (invoice.unmatchedReason ? label("unmatchedReason", invoice.unmatchedReason) : "")],
];

export function InvoicesPage({ params }) {
  usePageTitle("Invoices");
  const { notify } = useFlash();
  const { allows, whyNot } = useSession();
  const [invoices, setInvoices] = useState(null);
  const [knownPos, setKnownPos] = useState(new Set());
  const [problem, setProblem] = useState(null);
  const [range, setRange] = useState(null);
  const [working, setWorking] = useState(false);
  const [preferences, setPreferences] = useSavedPreferences(PREFERENCES_KEY, DEFAULT_PREFERENCES);

  const load = useCallback(() => {
    setInvoices(null);
    setProblem(null);
    Promise.all([listAll((query) => api.listInvoices(query)), listAll((query) => api.listPurchaseOrders(query)).catch(() => null)]).then(
      ([{ items }, pos]) => {
        const known = pos ? new Set(pos.items.map((po) => po.poId)) : null;
        setKnownPos(known ?? new Set());
        setInvoices(items.map((invoice) => invoiceRow(invoice, known ?? { has: () => true })));
      },
      (error) => {
        setInvoices([]);
        setProblem(describeError(error));
      },
    );
  }, []);
  useEffect(load, [load]);

  const rows = useMemo(() => (invoices ?? []).filter((invoice) => inRange(invoice.issueDate, range)), [invoices, range]);
  const filter = useMemo(() => propertyFilter(["invoiceId", "supplierInvoiceNumber"]), []);
  const { items, filteredItemsCount, collectionProps, propertyFilterProps, paginationProps, actions } = useCollection(rows, {
    propertyFiltering: {
      filteringProperties: FILTERING_PROPERTIES,
      filteringFunction: filter,
      defaultQuery: initialQuery(params),
      freeTextFiltering: { operators: [":"] },
      empty: (
        <Box textAlign="center" color="inherit">
          <b>No invoices yet</b>
          <Box variant="p" color="inherit">
            Upload an invoice, or put it in the invoice bucket.
          </Box>
        </Box>
      ),
      noMatch: (
        <Box textAlign="center" color="inherit">
          <b>No invoices match the filter</b>
          <Box padding={{ bottom: "s" }} variant="p" color="inherit">
            Change or clear the filter to see more.
          </Box>
          <Button
            onClick={() => {
              actions.setPropertyFiltering({ tokens: [], operation: "and" });
              setRange(null);
            }}
          >
            Clear filter
          </Button>
        </Box>
      ),
    },
    sorting: { defaultState: { sortingColumn: { sortingField: "issueDate" }, isDescending: true } },
    pagination: { pageSize: preferences.pageSize },
    selection: { trackBy: "invoiceId", keepSelection: false },
  });

  const filtered = useMemo(() => {
    const kept = rows.filter((row) => filter(row, propertyFilterProps.query));
    const column = collectionProps.sortingColumn;
    if (!column) return kept;
    const compare =
      column.sortingComparator ?? ((a, b) => (a[column.sortingField] === b[column.sortingField] ? 0 : a[column.sortingField] > b[column.sortingField] ? 1 : -1));
    const sorted = [...kept].sort(compare);
    return collectionProps.sortingDescending ? sorted.reverse() : sorted;
  }, [rows, filter, propertyFilterProps.query, collectionProps.sortingColumn, collectionProps.sortingDescending]);

  const filteringOptions = useMemo(
    () => [
      ...["PENDING", "MATCHED", "UNMATCHED"].map((code) => ({ propertyKey: "matchStatus", value: code, label: label("matchStatus", code) })),
      ...["DRAFT", "SUBMITTED", "APPROVED", "REJECTED"].map((code) => ({ propertyKey: "approvalStatus", value: code, label: label("approvalStatus", code) })),
      ...optionsFor(rows, "poOf"),
      ...optionsFor(rows, "billingEntity"),
      ...optionsFor(rows, "invoiceType", (code) => label("lineItemType", code)),
      ...["INVOICE", "CREDIT_MEMO"].map((code) => ({ propertyKey: "documentType", value: code, label: label("documentType", code) })),
      ...optionsFor(rows, "flags", (code) => label("flagShort", code)),
      ...optionsFor(rows, "currency"),
    ],
    [rows],
  );

  const selected = collectionProps.selectedItems ?? [];
  const canSubmit = selected.length > 0 && selected.every((invoice) => invoice.approvalStatus === "DRAFT" && invoice.matchStatus !== "PENDING");
  const canApprove = selected.length > 0 && selected.every((invoice) => invoice.approvalStatus === "SUBMITTED");

  const bulk = async (action, verb) => {
    setWorking(true);
    const done = [];
    const failed = [];
    for (const invoice of selected) {
      try {
        await api.changeApproval(invoice, action);
        done.push(invoice.invoiceId);
      } catch (error) {
        failed.push(`${invoice.invoiceId}: ${describeError(error).content}`);
      }
    }
    setWorking(false);
    actions.setSelectedItems([]);
    if (done.length) notify({ type: "success", content: `${done.length} ${done.length === 1 ? "invoice" : "invoices"} ${verb}: ${done.join(", ")}.` });
    if (failed.length) notify({ type: "error", header: `${failed.length} could not be ${verb}`, content: failed.join(" · ") });
    load();
  };
  const filteredCount = filteredItemsCount ?? rows.length;

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description="Every invoice and credit memo, with its match to a purchase order and its approval."
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button iconName="refresh" ariaLabel="Reload invoices" onClick={load} disabled={invoices === null} />
            <Button iconName="download" disabled={!filtered.length} onClick={() => downloadCsv("invoices.csv", toCsv(filtered, CSV_COLUMNS))}>
              Download CSV
            </Button>
            <GuardedButton
              route={["POST", "/invoices"]}
              variant="primary"
              href="#/invoices/upload"
              onFollow={(event) => {
                event.preventDefault();
                navigate("#/invoices/upload");
              }}
            >
              Upload invoices
            </GuardedButton>
          </SpaceBetween>
        }
      >
        Invoices
      </Header>
      {problem ? (
        <Alert type="error" header={`Could not load invoices: ${problem.header}`} action={<Button onClick={load}>Retry</Button>}>
          {problem.content}
        </Alert>
      ) : null}
      <Table
        {...collectionProps}
        items={items}
        selectionType="multi"
        isItemDisabled={() => false}
        columnDefinitions={COLUMNS}
        columnDisplay={preferences.contentDisplay}
        wrapLines={preferences.wrapLines}
        stripedRows={preferences.stripedRows}
        stickyColumns={preferences.stickyColumns}
        variant="full-page"
        stickyHeader
        trackBy="invoiceId"
        loading={invoices === null}
        loadingText="Loading invoices"
        enableKeyboardNavigation
        ariaLabels={{
          tableLabel: "Invoices",
          selectionGroupLabel: "Invoice selection",
          allItemsSelectionLabel: () => "Select every invoice on this page",
          itemSelectionLabel: (_, invoice) => `Select ${invoice.invoiceId}`,
        }}
        header={
          <Header
            variant="h2"
            counter={invoices === null ? "" : selected.length ? `(${selected.length}/${filteredCount})` : filteredCount === (invoices ?? []).length ? `(${filteredCount})` : `(${filteredCount}/${invoices.length})`}
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button
                  disabled={!allows("POST", "/invoices/{invoiceId}/submit") || !canSubmit || working}
                  disabledReason={!allows("POST", "/invoices/{invoiceId}/submit") ? whyNot("POST", "/invoices/{invoiceId}/submit") : "Select draft invoices that are matched or unmatched."}
                  loading={working}
                  onClick={() => bulk("submit", "submitted")}
                >
                  Submit selected
                </Button>
                <Button
                  disabled={!allows("POST", "/invoices/{invoiceId}/approve") || !canApprove || working}
                  disabledReason={!allows("POST", "/invoices/{invoiceId}/approve") ? whyNot("POST", "/invoices/{invoiceId}/approve") : "Select invoices awaiting approval."}
                  loading={working}
                  onClick={() => bulk("approve", "approved")}
                >
                  Approve selected
                </Button>
              </SpaceBetween>
            }
          >
            Invoice queue
          </Header>
        }
        filter={
          <SpaceBetween size="xs">
            <PropertyFilter
              {...propertyFilterProps}
              filteringOptions={filteringOptions}
              i18nStrings={PROPERTY_FILTER_STRINGS}
              filteringPlaceholder="Search by invoice or supplier number, or filter by status, PO, entity, type"
              countText={`${filteredCount} ${filteredCount === 1 ? "match" : "matches"}`}
              expandToViewport
            />
            <DateRangePicker
              value={range}
              onChange={({ detail }) => setRange(detail.value)}
              placeholder="Filter by issue date"
              ariaLabel="Issue date range"
              dateOnly
              expandToViewport
              relativeOptions={[
                { key: "previous-7-days", amount: 7, unit: "day", type: "relative" },
                { key: "previous-30-days", amount: 30, unit: "day", type: "relative" },
                { key: "previous-90-days", amount: 90, unit: "day", type: "relative" },
              ]}
              isValidRange={(value) => {
                if (!value) return { valid: true };
                if (value.type === "absolute" && (!value.startDate || !value.endDate)) return { valid: false, errorMessage: "Choose a start and an end date." };
                return { valid: true };
              }}
              i18nStrings={{
                relativeModeTitle: "Relative range",
                absoluteModeTitle: "Absolute range",
                relativeRangeSelectionHeading: "Choose a range",
                clearButtonLabel: "Clear",
                cancelButtonLabel: "Cancel",
                applyButtonLabel: "Apply",
                customRelativeRangeOptionLabel: "Custom range",
                customRelativeRangeOptionDescription: "Set a custom range in the past",
                customRelativeRangeUnitLabel: "Unit of time",
                customRelativeRangeDurationLabel: "Duration",
                formatRelativeRange: (value) => `Last ${value.amount} ${value.unit}${value.amount === 1 ? "" : "s"}`,
                formatUnit: (unit, value) => (value === 1 ? unit : `${unit}s`),
                startDateLabel: "Start date",
                endDateLabel: "End date",
                modeSelectionLabel: "Date range mode",
                dateConstraintText: "YYYY/MM/DD",
              }}
            />
          </SpaceBetween>
        }
        pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
        preferences={
          <TablePreferences preferences={preferences} columns={COLUMNS} onConfirm={setPreferences} />
        }
        footer={
          invoices?.length && filtered.length ? (
            <SpaceBetween size="xxs">
              <ShowingCount firstIndex={collectionProps.firstIndex} shown={items.length} total={filteredCount} noun="invoices" />
              <InvoiceTotals invoices={filtered} />
            </SpaceBetween>
          ) : null
        }
      />
      {knownPos ? null : null}
    </SpaceBetween>
  );
}

function InvoiceTotals({ invoices }) {
  const by = new Map();
  for (const invoice of invoices) {
    const entry = by.get(invoice.currency) ?? { count: 0, net: 0n };
    entry.count += 1;
    entry.net += invoice.signed;
    by.set(invoice.currency, entry);
  }
  return (
    <div role="group" aria-label="Totals of the invoices shown">
      {[...by.entries()].sort().map(([currency, entry]) => (
        <Box key={currency} variant="p" margin={{ vertical: "xxs" }}>
          <b>Total in {currency}</b> ({entry.count} {entry.count === 1 ? "document" : "documents"}, credits subtracted): {formatMoney(entry.net, currency)} excl. tax
        </Box>
      ))}
    </div>
  );
}
