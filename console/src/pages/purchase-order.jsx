// One purchase order: its details, balance, line items (with per-period balances that add up),
// the invoices against it, its balance over time, its history in words and the notices sent.
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import LineChart from "@cloudscape-design/components/line-chart";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import Form from "@cloudscape-design/components/form";
import { useCallback, useEffect, useMemo, useState } from "react";
import { BalanceBar, ConfirmModal, GuardedButton, Money, RouteLink, Status, usePageTitle } from "../components/common.jsx";
import { apiFieldErrors, LineItemFields, lineItemBody, lineItemErrors, amountLabel } from "../components/forms.jsx";
import { invoiceHref, navigate, poHref, readResource, releaseGuard, useFlash, useNotifyError } from "../context.jsx";
import { api, listAll } from "../lib/api.js";
import { balanceTimeline, describeActor, describePoEntry } from "../lib/history.js";
import { balanceEffect, isCreditMemo, matchedLines } from "../lib/invoices.js";
import { label, LABELS } from "../lib/labels.js";
import { formatMoney, sumUnits, toUnits } from "../lib/money.js";
import { addMonths, daysToEndOfMonth, formatTimestamp, monthLabel } from "../lib/months.js";
import { describeDays } from "./purchase-orders.jsx";

function address(value) {
  if (!value) return "—";
  return [value.name, value.line1, value.line2, value.city, value.region, value.postalCode, value.country].filter(Boolean).join(", ");
}

export function PurchaseOrderPage({ pathParameters: [poId] }) {
  usePageTitle(`Purchase order ${poId}`);
  const { notify } = useFlash();
  const notifyError = useNotifyError();
  const [po, setPo] = useState(null);
  const [missing, setMissing] = useState(false);
  const [problem, setProblem] = useState(null);
  const [history, setHistory] = useState(null);
  const [invoices, setInvoices] = useState(null);
  const [dialog, setDialog] = useState(null); // {kind: "delete" | "close" | "line" | "delete-line", item}

  const loadAll = useCallback(() => {
    readResource(api.getPurchaseOrder(poId), { found: setPo, missing: setMissing, problem: setProblem });
    setHistory(null);
    listAll((query) => api.purchaseOrderHistory(poId, query), {}, 10).then(
      ({ items }) => setHistory(items),
      () => setHistory([]),
    );
    setInvoices(null);
    listAll((query) => api.purchaseOrderInvoices(poId, query), {}, 10).then(
      ({ items }) => setInvoices(items),
      () => setInvoices([]),
    );
  }, [poId]);
  useEffect(loadAll, [loadAll]);

  /** Runs a change; its answer (the PO as it now stands) replaces the page's copy. */
  const change = async (action, work, success) => {
    try {
      const updated = await work();
      if (updated) setPo(updated);
      notify({ type: "success", content: success });
      listAll((query) => api.purchaseOrderHistory(poId, query), {}, 10).then(({ items }) => setHistory(items));
      return true;
    } catch (error) {
      notifyError(error, { action, onReload: loadAll });
      return false;
    }
  };

  if (missing) return <DeletedPurchaseOrder poId={poId} history={history} />;
  if (problem)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Purchase order {poId}</Header>
        <Alert type="error" header={`Could not load this purchase order: ${problem.header}`} action={<Button onClick={loadAll}>Retry</Button>}>
          {problem.content}
        </Alert>
      </SpaceBetween>
    );
  if (!po)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Purchase order {poId}</Header>
        <Box textAlign="center" padding="xl">
          <Spinner size="large" /> Loading purchase order
        </Box>
      </SpaceBetween>
    );

  const active = po.status === "ACTIVE";
  const suspended = po.status === "SUSPENDED";
  const expired = po.status === "EXPIRED" || po.status === "SUSPENDED_EXPIRED";
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={po.description ?? undefined}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <GuardedButton
              route={["PUT", "/purchase-orders/{poId}"]}
              href={`${poHref(po.poId)}/edit`}
              onFollow={(event) => {
                event.preventDefault();
                navigate(`${poHref(po.poId)}/edit`);
              }}
            >
              Edit
            </GuardedButton>
            {active ? (
              <GuardedButton
                route={["POST", "/purchase-orders/{poId}/status"]}
                onClick={() => change("Suspend", () => api.changeStatus(po, "SUSPENDED"), `Purchase order ${po.poId} is suspended: no invoice is matched to it until you activate it.`)}
              >
                Suspend
              </GuardedButton>
            ) : null}
            {suspended || po.status === "CLOSED" ? (
              <GuardedButton
                route={["POST", "/purchase-orders/{poId}/status"]}
                onClick={() => change("Activate", () => api.changeStatus(po, "ACTIVE"), `Purchase order ${po.poId} is active again.`)}
              >
                Activate
              </GuardedButton>
            ) : null}
            {active || suspended ? (
              <GuardedButton route={["POST", "/purchase-orders/{poId}/status"]} onClick={() => setDialog({ kind: "close" })}>
                Close
              </GuardedButton>
            ) : null}
            <GuardedButton route={["DELETE", "/purchase-orders/{poId}"]} onClick={() => setDialog({ kind: "delete" })}>
              Delete purchase order
            </GuardedButton>
          </SpaceBetween>
        }
      >
        Purchase order {po.poId}
      </Header>
      {expired ? (
        <Alert type="info" header="This purchase order has expired">
          No invoice is matched to it any more. To use it again, edit it and move its expiration month to one not yet over.
        </Alert>
      ) : null}
      <Overview po={po} />
      <LineItems po={po} onAdd={() => setDialog({ kind: "line", item: null })} onEdit={(item) => setDialog({ kind: "line", item })} onDelete={(item) => setDialog({ kind: "delete-line", item })} />
      <InvoicesAgainst po={po} invoices={invoices} />
      <BalanceChart po={po} history={history} />
      <History po={po} history={history} />
      <Notices history={history} />

      <ConfirmModal
        visible={dialog?.kind === "delete"}
        header={`Delete purchase order ${po.poId}?`}
        confirmText="Delete"
        onCancel={() => setDialog(null)}
        onConfirm={async () => {
          try {
            await api.deletePurchaseOrder(po);
            setDialog(null);
            notify({ type: "success", content: `Purchase order ${po.poId} deleted. Invoices already matched to it keep their match record.` });
            navigate("#/purchase-orders");
          } catch (error) {
            setDialog(null);
            notifyError(error, { action: "Delete", onReload: loadAll });
          }
        }}
      >
        Invoices matched to it keep their match record, and its history stays readable. This cannot be undone.
      </ConfirmModal>
      <ConfirmModal
        visible={dialog?.kind === "close"}
        header={`Close purchase order ${po.poId}?`}
        confirmText="Close purchase order"
        onCancel={() => setDialog(null)}
        onConfirm={async () => {
          setDialog(null);
          await change("Close", () => api.changeStatus(po, "CLOSED"), `Purchase order ${po.poId} is closed: nothing more is matched to it.`);
        }}
      >
        A closed purchase order takes no more invoices, even while in effect. You can activate it again until it expires.
      </ConfirmModal>
      <ConfirmModal
        visible={dialog?.kind === "delete-line"}
        header={`Delete line item ${dialog?.item?.lineItemId}?`}
        confirmText="Delete"
        onCancel={() => setDialog(null)}
        onConfirm={async () => {
          const item = dialog.item;
          setDialog(null);
          await change("Delete line item", () => api.deleteLineItem(po, item.lineItemId), `Line item ${item.lineItemId} deleted.`);
        }}
      >
        The purchase order&apos;s total goes down by this line item&apos;s amount.
      </ConfirmModal>
      {dialog?.kind === "line" ? (
        <LineItemModal
          po={po}
          item={dialog.item}
          onDismiss={() => setDialog(null)}
          onSaved={(updated, message) => {
            setDialog(null);
            setPo(updated);
            notify({ type: "success", content: message });
            listAll((query) => api.purchaseOrderHistory(poId, query), {}, 10).then(({ items }) => setHistory(items));
          }}
          onReload={loadAll}
        />
      ) : null}
    </SpaceBetween>
  );
}

function DeletedPurchaseOrder({ poId, history }) {
  return (
    <SpaceBetween size="l">
      <Header variant="h1">Purchase order {poId}</Header>
      <Alert type="warning" header="This purchase order no longer exists">
        It was deleted, or never existed in this account. Invoices matched to a deleted purchase order keep their match record.{" "}
        <RouteLink href="#/purchase-orders">See all purchase orders</RouteLink>.
      </Alert>
      {history?.length ? <History po={{ poId, currency: null, balanceTracking: false }} history={history} /> : null}
    </SpaceBetween>
  );
}

function Overview({ po }) {
  const days = daysToEndOfMonth(po.expirationMonth);
  const forecast = po.forecast;
  return (
    <Container header={<Header variant="h2">Details</Header>}>
      <SpaceBetween size="l">
        <KeyValuePairs
          columns={4}
          items={[
            { label: "Status", value: <Status table="poStatus" code={po.status} /> },
            { label: "Billing", value: label("billingStatus", po.billingStatus ?? (po.balanceTracking ? (toUnits(po.invoicedAmount) <= 0n ? "NOT_BILLED" : toUnits(po.balance) <= 0n ? "FULLY_BILLED" : "PARTIALLY_BILLED") : null)) },
            { label: "In effect", value: `${monthLabel(po.effectiveMonth)} to ${monthLabel(po.expirationMonth)}` },
            { label: "Days to expiry", value: describeDays(days) },
            { label: "Bill-from entities", value: po.billFrom.join(", ") },
            { label: "Currency", value: po.currency },
            { label: "Payment terms", value: po.paymentTerms ?? "—" },
            { label: "Tags", value: (po.tags ?? []).map(({ key, value }) => (value ? `${key}: ${value}` : key)).join(", ") || "—" },
            { label: "Bill-to", value: address(po.billTo) },
            { label: "Ship-to", value: address(po.shipTo) },
            {
              label: "Contacts",
              value: po.contacts?.length ? po.contacts.map((contact) => `${contact.name} <${contact.email}>`).join(", ") : "None: no notices are sent",
            },
            { label: "Last changed", value: formatTimestamp(po.updatedAt) },
          ]}
        />
        {po.balanceTracking ? (
          <ColumnLayout columns={4} variant="text-grid" minColumnWidth={160}>
            <div>
              <Box variant="awsui-key-label">Total</Box>
              <Box fontSize="heading-l">{formatMoney(po.totalAmount, po.currency)}</Box>
            </div>
            <div>
              <Box variant="awsui-key-label">Invoiced</Box>
              <Box fontSize="heading-l">{formatMoney(po.invoicedAmount, po.currency)}</Box>
            </div>
            <div>
              <Box variant="awsui-key-label">Balance</Box>
              <Box fontSize="heading-l">
                <span className={toUnits(po.balance) < 0n ? "po-over" : undefined}>{formatMoney(po.balance, po.currency)}</span>
              </Box>
              <BalanceBar total={po.totalAmount} invoiced={po.invoicedAmount} balance={po.balance} currency={po.currency} label={`Balance of ${po.poId}`} />
            </div>
            <div>
              <Box variant="awsui-key-label">Forecast</Box>
              {forecast ? (
                <Box>
                  {forecast.monthlyRunRate ? `${formatMoney(forecast.monthlyRunRate, po.currency)} a month` : "No whole month yet"}
                  <Box variant="small" display="block">
                    {forecast.projectedDepletionMonth ? `Runs out in ${monthLabel(forecast.projectedDepletionMonth)}` : "The balance lasts to expiry"}
                  </Box>
                </Box>
              ) : (
                <Box color="text-status-inactive">Not available</Box>
              )}
            </div>
          </ColumnLayout>
        ) : (
          <Box color="text-status-inactive">This purchase order does not track balances.</Box>
        )}
      </SpaceBetween>
    </Container>
  );
}

function periodLabel(period) {
  if (!period.endMonth || period.endMonth === period.month) return monthLabel(period.month);
  return `${monthLabel(period.month)} – ${monthLabel(period.endMonth)}`;
}

/** A recurring line item's periods; their amounts add up to the line item's. */
function periodsOf(item) {
  const length = { MONTHLY: 1, QUARTERLY: 3, ANNUAL: 12 }[item.recurrence] ?? 1;
  return (item.periods ?? []).map((period) => {
    const natural = addMonths(period.month, length - 1);
    return { ...period, endMonth: period.endMonth ?? (natural > item.endMonth ? item.endMonth : natural) };
  });
}

function LineItems({ po, onAdd, onEdit, onDelete }) {
  const tracked = po.balanceTracking;
  const columns = [
    { id: "id", header: "Line", cell: (item) => item.lineItemId, isRowHeader: true, width: 70 },
    { id: "type", header: "Type", cell: (item) => label("lineItemType", item.type) },
    { id: "months", header: "Months", cell: (item) => `${monthLabel(item.startMonth)} – ${monthLabel(item.endMonth)}` },
    { id: "recurrence", header: "Recurrence", cell: (item) => label("recurrence", item.recurrence) },
    ...(tracked
      ? [
          {
            id: "amount",
            header: "Amount",
            cell: (item) =>
              item.recurrence && item.recurrence !== "NONE" ? (
                <span>
                  <Money amount={item.amount} currency={po.currency} /> per {LABELS.period[item.recurrence]}
                </span>
              ) : (
                <Money amount={item.amount} currency={po.currency} />
              ),
          },
          {
            id: "total",
            header: "Line total",
            cell: (item) => <Money amount={formatTotal(item)} currency={po.currency} />,
          },
          { id: "invoiced", header: "Invoiced", cell: (item) => <Money amount={item.invoicedAmount} currency={po.currency} /> },
          {
            id: "balance",
            header: "Balance",
            minWidth: 180,
            cell: (item) => (
              <BalanceBar total={formatTotal(item)} invoiced={item.invoicedAmount} balance={item.balance} currency={po.currency} label={`Balance of line ${item.lineItemId}`} />
            ),
          },
        ]
      : []),
    {
      id: "actions",
      header: "Actions",
      cell: (item) => (
        <SpaceBetween direction="horizontal" size="xxs">
          <GuardedButton route={["PUT", "/purchase-orders/{poId}/line-items/{lineItemId}"]} variant="inline-link" ariaLabel={`Edit line item ${item.lineItemId}`} onClick={() => onEdit(item)}>
            Edit
          </GuardedButton>
          <GuardedButton
            route={["DELETE", "/purchase-orders/{poId}/line-items/{lineItemId}"]}
            variant="inline-link"
            ariaLabel={`Delete line item ${item.lineItemId}`}
            disabled={po.lineItems.length <= 1 || toUnits(item.invoicedAmount) > 0n}
            disabledReason={po.lineItems.length <= 1 ? "A purchase order keeps at least one line item." : "Invoices are matched to this line item."}
            onClick={() => onDelete(item)}
          >
            Delete
          </GuardedButton>
        </SpaceBetween>
      ),
    },
  ];
  const recurring = po.lineItems.filter((item) => item.periods?.length);
  return (
    <SpaceBetween size="l">
      <Table
        variant="container"
        items={po.lineItems}
        columnDefinitions={columns}
        trackBy="lineItemId"
        wrapLines
        ariaLabels={{ tableLabel: "Line items" }}
        header={
          <Header
            variant="h2"
            counter={`(${po.lineItems.length})`}
            description="A recurring line item's amount is per period; its line total is that amount times its periods."
            actions={
              <GuardedButton route={["POST", "/purchase-orders/{poId}/line-items"]} onClick={onAdd}>
                Add line item
              </GuardedButton>
            }
          >
            Line items
          </Header>
        }
      />
      {tracked
        ? recurring.map((item) => {
            const periods = periodsOf(item);
            const amounts = sumUnits(periods.map((period) => period.amount));
            const invoiced = sumUnits(periods.map((period) => period.invoicedAmount));
            const balance = sumUnits(periods.map((period) => period.balance));
            return (
              <Container key={item.lineItemId}>
                <ExpandableSection headerText={`Periods of line ${item.lineItemId} (${periods.length} ${LABELS.period[item.recurrence] ?? "period"}s)`} variant="footer">
                  <Table
                    variant="embedded"
                    items={periods}
                    trackBy="month"
                    ariaLabels={{ tableLabel: `Periods of line ${item.lineItemId}` }}
                    columnDefinitions={[
                      { id: "period", header: "Period", cell: (period) => periodLabel(period), isRowHeader: true },
                      { id: "amount", header: `${amountLabel(item.recurrence)}`, cell: (period) => <Money amount={period.amount} currency={po.currency} /> },
                      { id: "invoiced", header: "Invoiced", cell: (period) => <Money amount={period.invoicedAmount} currency={po.currency} /> },
                      {
                        id: "balance",
                        header: "Balance",
                        cell: (period) => <span className={toUnits(period.balance) < 0n ? "po-over" : undefined}><Money amount={period.balance} currency={po.currency} /></span>,
                      },
                    ]}
                    footer={
                      <Box variant="p" margin={{ vertical: "xxs" }}>
                        <b>All {periods.length} periods:</b> {formatMoney(amounts, po.currency)} · {formatMoney(invoiced, po.currency)} invoiced ·{" "}
                        {formatMoney(balance, po.currency)} balance (the line item&apos;s own figures)
                      </Box>
                    }
                  />
                </ExpandableSection>
              </Container>
            );
          })
        : null}
    </SpaceBetween>
  );
}

function formatTotal(item) {
  if (item.amount === null || item.amount === undefined) return null;
  if (item.periods?.length) return formatUnits(sumUnits(item.periods.map((period) => period.amount)));
  return item.amount;
}

function formatUnits(units) {
  const negative = units < 0n;
  const absolute = negative ? -units : units;
  return `${negative ? "-" : ""}${absolute / 10000n}.${(absolute % 10000n).toString().padStart(4, "0")}`;
}

function LineItemModal({ po, item, onDismiss, onSaved, onReload }) {
  const notifyError = useNotifyError();
  const [value, setValue] = useState(
    () =>
      item ?? {
        lineItemId: String(Math.max(0, ...po.lineItems.map((existing) => Number.parseInt(existing.lineItemId, 10) || 0)) + 1),
        type: "ALL",
        recurrence: "NONE",
        startMonth: po.effectiveMonth,
        endMonth: po.expirationMonth,
        amount: "",
      },
  );
  const [submitted, setSubmitted] = useState(false);
  const [apiErrors, setApiErrors] = useState({});
  const [saving, setSaving] = useState(false);
  const otherIds = po.lineItems.filter((existing) => existing !== item).map((existing) => existing.lineItemId);
  const clientErrors = lineItemErrors(value, { po, balanceTracking: po.balanceTracking, currency: po.currency, otherIds });
  const errors = { ...(submitted ? clientErrors : {}), ...apiErrors };
  const title = item ? `Edit line item ${item.lineItemId}` : "Add line item";
  const save = async () => {
    setSubmitted(true);
    setApiErrors({});
    if (Object.keys(clientErrors).length) return;
    setSaving(true);
    const body = lineItemBody(value, { balanceTracking: po.balanceTracking, currency: po.currency });
    try {
      const updated = item ? await api.replaceLineItem(po, item.lineItemId, body) : await api.addLineItem(po, body);
      onSaved(updated, item ? `Line item ${item.lineItemId} saved.` : `Line item ${body.lineItemId} added.`);
    } catch (error) {
      const fields = apiFieldErrors(error);
      if (Object.keys(fields).length) setApiErrors(fields);
      else {
        onDismiss();
        notifyError(error, { action: title, onReload });
      }
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      visible
      size="large"
      header={title}
      onDismiss={onDismiss}
      closeAriaLabel="Close"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={onDismiss}>
              Cancel
            </Button>
            <Button variant="primary" loading={saving} onClick={save}>
              {item ? "Save line item" : "Add line item"}
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <form
        aria-label={title}
        onSubmit={(event) => {
          event.preventDefault();
          save();
        }}
      >
        <Form errorText={apiErrors[""]}>
          <LineItemFields
            idPrefix="line-editor"
            item={value}
            existing={Boolean(item)}
            balanceTracking={po.balanceTracking}
            currency={po.currency}
            errors={errors}
            onChange={(patch) => {
              setValue((current) => ({ ...current, ...patch }));
              setApiErrors({});
            }}
          />
        </Form>
      </form>
    </Modal>
  );
}

function InvoicesAgainst({ po, invoices }) {
  const columns = [
    {
      id: "invoice",
      header: "Invoice",
      isRowHeader: true,
      cell: (invoice) => <RouteLink href={invoiceHref(invoice.invoiceId)}>{invoice.invoiceId}</RouteLink>,
    },
    { id: "kind", header: "Document", cell: (invoice) => label("documentType", invoice.documentType) },
    { id: "month", header: "Service month", cell: (invoice) => monthLabel(invoice.serviceMonth) },
    { id: "line", header: "Line", cell: (invoice) => matchedLines(invoice) || "—" },
    {
      id: "effect",
      header: "Effect on the balance",
      cell: (invoice) => {
        const effect = balanceEffect(invoice);
        return <span className={effect.kind === "credit" ? "po-credit" : undefined}>{effect.text}</span>;
      },
    },
    {
      id: "flags",
      header: "Flags",
      cell: (invoice) => (invoice.match?.flags ?? []).map((flag) => label("flagShort", flag)).join(", ") || "None",
    },
    { id: "approval", header: "Approval", cell: (invoice) => <Status table="approvalStatus" code={invoice.approvalStatus} /> },
  ];
  const net = useMemo(() => {
    if (!invoices) return null;
    return invoices.reduce((sum, invoice) => {
      const effect = balanceEffect(invoice);
      return sum + (effect.units ?? 0n);
    }, 0n);
  }, [invoices]);
  return (
    <Table
      variant="container"
      items={invoices ?? []}
      loading={invoices === null}
      loadingText="Loading invoices"
      columnDefinitions={columns}
      trackBy="invoiceId"
      wrapLines
      ariaLabels={{ tableLabel: "Invoices against this purchase order" }}
      empty={<Box textAlign="center">No invoice is matched to this purchase order yet.</Box>}
      header={
        <Header
          variant="h2"
          counter={invoices ? `(${invoices.length})` : ""}
          actions={<RouteLink href={`#/invoices?poId=${encodeURIComponent(po.poId)}`}>Open in the invoice queue</RouteLink>}
        >
          Invoices against it
        </Header>
      }
      footer={
        invoices?.length && po.balanceTracking ? (
          <Box variant="p">
            Net effect of these invoices on the balance: {formatMoney(net, po.currency)} debited
            {invoices.some(isCreditMemo) ? " (after credits)" : ""}.
          </Box>
        ) : null
      }
    />
  );
}

function BalanceChart({ po, history }) {
  const timeline = useMemo(() => (history ? balanceTimeline(history, po) : new Map()), [history, po]);
  if (!po.balanceTracking) return null;
  const points = history
    ? [...history]
        .reverse()
        .filter((entry) => timeline.has(entry))
        .map((entry) => ({ x: new Date(entry.at), y: Number(timeline.get(entry).balance) / 10000 }))
    : [];
  const values = points.map((point) => point.y);
  const low = Math.min(0, ...values);
  const high = Math.max(1, ...values);
  return (
    <Container header={<Header variant="h2" description={`In ${po.currency}, after each change and each invoice`}>Balance over time</Header>}>
      <LineChart
        series={[{ title: "Balance", type: "line", data: points, valueFormatter: (value) => formatMoney(value.toFixed(4), po.currency) }]}
        xScaleType="time"
        xTitle="Date"
        yTitle={`Balance (${po.currency})`}
        yDomain={[low, high * 1.05]}
        height={220}
        hideFilter
        hideLegend
        statusType={history === null ? "loading" : "finished"}
        loadingText="Loading the history"
        ariaLabel={`Balance of ${po.poId} over time`}
        i18nStrings={{
          xTickFormatter: (date) => date.toISOString().slice(0, 10),
          yTickFormatter: (value) => formatMoney(value.toFixed(4), po.currency, { withCode: false }),
          detailPopoverDismissAriaLabel: "Dismiss",
        }}
        empty={<Box textAlign="center">No history yet</Box>}
      />
    </Container>
  );
}

function History({ po, history }) {
  const timeline = useMemo(() => (history ? balanceTimeline(history, po) : new Map()), [history, po]);
  return (
    <Container header={<Header variant="h2" description="Newest first. Every change and every balance movement, as recorded.">History</Header>}>
      {history === null ? (
        <Box>
          <Spinner /> Loading the history
        </Box>
      ) : history.length ? (
        <ul className="po-history-list" aria-label="History">
          {history.map((entry, index) => (
            <li key={`${entry.at}-${index}`}>
              <Box variant="p" margin="n">
                {describePoEntry(entry, po.currency, timeline.get(entry))}
              </Box>
              <Box variant="small">
                {label("poAction", entry.action)} · {formatTimestamp(entry.at)} · by {describeActor(entry.actor)}
              </Box>
            </li>
          ))}
        </ul>
      ) : (
        <Box>No history.</Box>
      )}
    </Container>
  );
}

function Notices({ history }) {
  const notices = (history ?? []).filter((entry) => entry.action === "NOTIFIED");
  return (
    <Table
      variant="container"
      items={notices}
      loading={history === null}
      loadingText="Loading the notices"
      ariaLabels={{ tableLabel: "Notices sent" }}
      wrapLines
      columnDefinitions={[
        { id: "at", header: "Sent", cell: (entry) => formatTimestamp(entry.at), isRowHeader: true },
        { id: "kind", header: "Notice", cell: (entry) => label("notification", entry.details?.kind) },
        { id: "to", header: "To", cell: (entry) => (entry.details?.to ?? []).join(", ") },
        { id: "subject", header: "Subject", cell: (entry) => entry.details?.subject ?? "—" },
      ]}
      empty={<Box textAlign="center">No notice has been sent for this purchase order.</Box>}
      header={<Header variant="h2" counter={history ? `(${notices.length})` : ""} description="E-mails to the contacts before expiry and on balance alerts">Notices sent</Header>}
    />
  );
}

export { releaseGuard };
