// One invoice: what it is, where it matched and why (in words), what it did to the balance, its
// lines, its flags explained, its history and its original document; and what can be done with it
// now: submit, approve, reject (with a reason), match by hand (only where it fits, with a preview of
// the balance), unmatch (after a confirmation).
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Link from "@cloudscape-design/components/link";
import Modal from "@cloudscape-design/components/modal";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import { useCallback, useEffect, useMemo, useState } from "react";
import { ConfirmModal, GuardedButton, Money, RouteLink, Status, usePageTitle } from "../components/common.jsx";
import { describeError, invoiceHref, poHref, readResource, useFlash, useNotifyError } from "../context.jsx";
import { api, ApiError, listAll } from "../lib/api.js";
import { describeActor, describeInvoiceEntry } from "../lib/history.js";
import { balanceEffect, explainMatch, isCreditMemo, matchedLines, notDebited } from "../lib/invoices.js";
import { label } from "../lib/labels.js";
import { formatMoney, toUnits } from "../lib/money.js";
import { formatTimestamp, monthLabel } from "../lib/months.js";

const EXTENSIONS = { JSON: "json", UBL: "xml", CII: "xml", FACTURX: "pdf", AWS: "pdf" };
const POLL_MS = 1000;

export function InvoicePage({ pathParameters: [invoiceId] }) {
  const [invoice, setInvoice] = useState(null);
  const [missing, setMissing] = useState(false);
  const [problem, setProblem] = useState(null);
  const [history, setHistory] = useState(null);
  const [po, setPo] = useState(undefined); // undefined: not known yet; null: deleted
  const [dialog, setDialog] = useState(null);
  const { notify } = useFlash();
  const notifyError = useNotifyError();
  const kind = invoice && isCreditMemo(invoice) ? "Credit memo" : "Invoice";
  usePageTitle(`${kind} ${invoiceId}`);

  const loadHistory = useCallback(() => {
    listAll((query) => api.invoiceHistory(invoiceId, query), {}, 5).then(
      ({ items }) => setHistory(items),
      () => setHistory([]),
    );
  }, [invoiceId]);
  const load = useCallback(() => {
    readResource(api.getInvoice(invoiceId), { found: setInvoice, missing: setMissing, problem: setProblem });
    loadHistory();
  }, [invoiceId, loadHistory]);
  useEffect(load, [load]);

  // Matching is asynchronous: while the invoice is pending, ask again every second.
  useEffect(() => {
    if (invoice?.matchStatus !== "PENDING") return undefined;
    const timer = setTimeout(load, POLL_MS);
    return () => clearTimeout(timer);
  }, [invoice, load]);

  const matchedPoId = invoice?.match?.poId;
  useEffect(() => {
    if (!matchedPoId) return;
    setPo(undefined);
    api.getPurchaseOrder(matchedPoId).then(setPo, (error) => setPo(error instanceof ApiError && error.status === 404 ? null : undefined));
  }, [matchedPoId, invoice?.version]);

  const act = async (action, work, success) => {
    try {
      const updated = await work();
      setInvoice(updated);
      notify({ type: "success", content: success(updated) });
      loadHistory();
      return true;
    } catch (error) {
      notifyError(error, { action, onReload: load });
      return false;
    }
  };

  if (missing)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Invoice {invoiceId}</Header>
        <Alert type="warning" header="No such invoice">
          This account has no invoice {invoiceId}. <RouteLink href="#/invoices">See all invoices</RouteLink>.
        </Alert>
      </SpaceBetween>
    );
  if (problem)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Invoice {invoiceId}</Header>
        <Alert type="error" header={`Could not load this invoice: ${problem.header}`} action={<Button onClick={load}>Retry</Button>}>
          {problem.content}
        </Alert>
      </SpaceBetween>
    );
  if (!invoice)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Invoice {invoiceId}</Header>
        <Box textAlign="center" padding="xl">
          <Spinner size="large" /> Loading invoice
        </Box>
      </SpaceBetween>
    );

  const draft = invoice.approvalStatus === "DRAFT";
  const submitted = invoice.approvalStatus === "SUBMITTED";
  const pending = invoice.matchStatus === "PENDING";
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description={`${invoice.billingEntity} · ${formatMoney(invoice.subtotal, invoice.currency)} excl. tax`}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <OriginalDocument invoice={invoice} />
            {draft && !pending ? (
              <GuardedButton route={["PUT", "/invoices/{invoiceId}/match"]} onClick={() => setDialog("match")}>
                Match by hand
              </GuardedButton>
            ) : null}
            {draft && invoice.matchStatus === "MATCHED" ? (
              <GuardedButton route={["DELETE", "/invoices/{invoiceId}/match"]} onClick={() => setDialog("unmatch")}>
                Unmatch
              </GuardedButton>
            ) : null}
            {draft ? (
              <GuardedButton
                route={["POST", "/invoices/{invoiceId}/submit"]}
                variant="primary"
                disabled={pending}
                disabledReason="The invoice is still being matched."
                onClick={() => act("Submit", () => api.changeApproval(invoice, "submit"), (updated) => `${updated.invoiceId} submitted for approval.`)}
              >
                Submit for approval
              </GuardedButton>
            ) : null}
            {submitted ? (
              <GuardedButton route={["POST", "/invoices/{invoiceId}/reject"]} onClick={() => setDialog("reject")}>
                Reject
              </GuardedButton>
            ) : null}
            {submitted ? (
              <GuardedButton
                route={["POST", "/invoices/{invoiceId}/approve"]}
                variant="primary"
                onClick={() => act("Approve", () => api.changeApproval(invoice, "approve"), (updated) => `${updated.invoiceId} approved.`)}
              >
                Approve
              </GuardedButton>
            ) : null}
          </SpaceBetween>
        }
      >
        {kind} {invoice.invoiceId}
      </Header>
      <Summary invoice={invoice} />
      <MatchPanel invoice={invoice} po={po} />
      <Flags invoice={invoice} />
      <Lines invoice={invoice} />
      <InvoiceHistory invoice={invoice} history={history} />

      <ConfirmModal
        visible={dialog === "unmatch"}
        header={`Unmatch ${invoice.invoiceId}?`}
        confirmText="Unmatch"
        onCancel={() => setDialog(null)}
        onConfirm={async () => {
          setDialog(null);
          await act("Unmatch", () => api.unmatchInvoice(invoice), (updated) => `${updated.invoiceId} unmatched; ${formatMoney(invoice.match?.amount, invoice.currency)} went back to purchase order ${invoice.match?.poId}.`);
        }}
      >
        {notDebited(invoice)
          ? `It leaves purchase order ${invoice.match?.poId}; its balance does not change (the invoice was not debited).`
          : `${formatMoney(invoice.match?.amount, invoice.currency)} goes back to purchase order ${invoice.match?.poId}, line ${matchedLines(invoice)}. You can match it again by hand afterwards.`}
      </ConfirmModal>
      {dialog === "reject" ? (
        <RejectModal
          invoice={invoice}
          onDismiss={() => setDialog(null)}
          onReject={async (reason) => {
            setDialog(null);
            await act("Reject", () => api.changeApproval(invoice, "reject", reason ? { reason } : {}), (updated) => `${updated.invoiceId} rejected; what it held on its purchase order was credited back.`);
          }}
        />
      ) : null}
      {dialog === "match" ? (
        <ManualMatchModal
          invoice={invoice}
          onDismiss={() => setDialog(null)}
          onMatch={async (poId, lineItemId) => {
            const ok = await act("Match", () => api.matchInvoice(invoice, poId, lineItemId), (updated) => `${updated.invoiceId} matched to purchase order ${poId}, line ${lineItemId}.`);
            if (ok) setDialog(null);
          }}
        />
      ) : null}
    </SpaceBetween>
  );
}

function OriginalDocument({ invoice }) {
  const [link, setLink] = useState(null);
  const [loading, setLoading] = useState(false);
  const notifyError = useNotifyError();
  const file = `${invoice.invoiceId}.${EXTENSIONS[invoice.sourceFormat] ?? "json"}`;
  if (link)
    return (
      <Box padding={{ top: "xxs" }}>
        <Link href={link} external download={file} target="_blank" rel="noopener noreferrer">
          Download {file}
        </Link>
      </Box>
    );
  return (
    <Button
      iconName="file"
      loading={loading}
      ariaLabel={`Get the original document of ${invoice.invoiceId}`}
      onClick={async () => {
        setLoading(true);
        try {
          const { url } = await api.invoiceDocumentLink(invoice.invoiceId);
          setLink(url);
        } catch (error) {
          notifyError(error, { action: "Original document" });
        } finally {
          setLoading(false);
        }
      }}
    >
      Original document
    </Button>
  );
}

function Summary({ invoice }) {
  const currency = invoice.currency;
  const memo = isCreditMemo(invoice);
  return (
    <Container header={<Header variant="h2">Details</Header>}>
      <KeyValuePairs
        columns={4}
        items={[
          { label: "Document", value: label("documentType", invoice.documentType) },
          { label: "Supplier invoice number", value: invoice.supplierInvoiceNumber },
          { label: "Billing entity", value: invoice.billingEntity },
          { label: "Type", value: label("lineItemType", invoice.invoiceType) },
          { label: "Issued", value: invoice.issueDate },
          { label: "Service month", value: `${monthLabel(invoice.serviceMonth)}${invoice.billingPeriod ? " (billing period)" : " (issue month)"}` },
          { label: memo ? "Credit (excl. tax)" : "Subtotal (excl. tax)", value: <span className={memo ? "po-credit" : undefined}>{memo ? "−" : ""}{formatMoney(invoice.subtotal, currency)}</span> },
          { label: "Tax", value: formatMoney(invoice.tax, currency) },
          { label: "Total", value: `${memo ? "−" : ""}${formatMoney(invoice.total, currency)}` },
          { label: "Received as", value: label("sourceFormat", invoice.sourceFormat) },
          { label: "PO reference on the document", value: invoice.poReference ?? invoice.poId ?? "—" },
          ...(invoice.originalInvoiceId
            ? [{ label: "Credits invoice", value: <RouteLink href={invoiceHref(invoice.originalInvoiceId)}>{invoice.originalInvoiceId}</RouteLink> }]
            : []),
          ...(toUnits(invoice.creditedAmount) > 0n ? [{ label: "Credited by memos", value: formatMoney(invoice.creditedAmount, currency) }] : []),
          { label: "Approval", value: <Status table="approvalStatus" code={invoice.approvalStatus} /> },
          ...(invoice.rejectionReason ? [{ label: "Rejection reason", value: invoice.rejectionReason }] : []),
          { label: "Received", value: formatTimestamp(invoice.createdAt) },
        ]}
      />
    </Container>
  );
}

function MatchPanel({ invoice, po }) {
  const explanation = explainMatch(invoice, po?.currency);
  const poCurrency = po?.currency ?? invoice.currency;
  const effect = balanceEffect(invoice);
  const match = invoice.match;
  let after = null;
  if (match?.availableBalance && (effect.kind === "debit" || effect.kind === "credit")) {
    after = toUnits(match.availableBalance) - effect.units;
  }
  return (
    <Container header={<Header variant="h2" description="Where the invoice matched, and why">Match</Header>}>
      <SpaceBetween size="m">
        <ColumnLayout columns={3} variant="text-grid">
          <div>
            <Box variant="awsui-key-label">Status</Box>
            <Status table="matchStatus" code={invoice.matchStatus} />
          </div>
          <div>
            <Box variant="awsui-key-label">Purchase order</Box>
            {match?.poId ? (
              po === null ? (
                <span>
                  {match.poId} (deleted), line {matchedLines(invoice)}
                </span>
              ) : (
                <span>
                  <RouteLink href={poHref(match.poId)}>{match.poId}</RouteLink>, line {matchedLines(invoice)}
                  {match.month && po?.lineItems?.find((item) => item.lineItemId === match.lineItemId)?.periods ? ` (${monthLabel(match.month)})` : ""}
                </span>
              )
            ) : (
              "None"
            )}
          </div>
          <div>
            <Box variant="awsui-key-label">Effect on the balance</Box>
            <span className={effect.kind === "credit" ? "po-credit" : undefined}>{effect.text}</span>
            {match?.availableBalance ? (
              <Box variant="small" display="block">
                {formatMoney(match.availableBalance, poCurrency)} before
                {after !== null ? ` → ${formatMoney(after, poCurrency)} after` : ""}
              </Box>
            ) : null}
          </div>
        </ColumnLayout>
        <Box variant="p">{explanation.summary}</Box>
        {explanation.notes.map((note) => (
          <Box variant="p" key={note}>
            {note}
          </Box>
        ))}
        {explanation.candidates.length ? (
          <div>
            <Box variant="h3">Purchase orders considered, best first</Box>
            <ul>
              {explanation.candidates.map((text) => (
                <li key={text}>{text}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {explanation.excluded.length ? (
          <div>
            <Box variant="h3">Left out</Box>
            <ul>
              {explanation.excluded.map((text) => (
                <li key={text}>{text}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </SpaceBetween>
    </Container>
  );
}

function Flags({ invoice }) {
  const flags = invoice.match?.flags ?? [];
  if (!flags.length) return null;
  return (
    <Container header={<Header variant="h2" counter={`(${flags.length})`}>Flags</Header>}>
      <SpaceBetween size="s">
        {flags.map((flag) => (
          <Alert key={flag} type={flag === "WITHIN_TOLERANCE" || flag === "UNKNOWN_PO_REFERENCE" ? "info" : "warning"} header={label("flagShort", flag)}>
            {label("flag", flag)}
          </Alert>
        ))}
      </SpaceBetween>
    </Container>
  );
}

function Lines({ invoice }) {
  const lines = invoice.lines ?? [];
  const debits = new Map((invoice.match?.lines ?? []).map((line) => [line.lineNumber, line]));
  return (
    <Table
      variant="container"
      items={lines}
      trackBy="lineNumber"
      wrapLines
      ariaLabels={{ tableLabel: "Invoice lines" }}
      header={<Header variant="h2" counter={`(${lines.length})`}>Lines</Header>}
      empty={<Box textAlign="center">The document lists no lines: it is matched by its subtotal.</Box>}
      columnDefinitions={[
        { id: "number", header: "Line", cell: (line) => line.lineNumber, isRowHeader: true, width: 70 },
        { id: "description", header: "Description", cell: (line) => line.description ?? "—" },
        { id: "amount", header: "Amount (excl. tax)", cell: (line) => <Money amount={line.amount} currency={invoice.currency} /> },
        { id: "poLine", header: "PO line it names", cell: (line) => line.poLineItemId ?? "—" },
        {
          id: "debited",
          header: "Debited",
          cell: (line) => (debits.get(line.lineNumber) ? `${formatMoney(debits.get(line.lineNumber).amount, invoice.currency)} from line ${debits.get(line.lineNumber).lineItemId}` : "—"),
        },
      ]}
    />
  );
}

function InvoiceHistory({ invoice, history }) {
  return (
    <Container header={<Header variant="h2" description="Newest first">History</Header>}>
      {history === null ? (
        <Box>
          <Spinner /> Loading the history
        </Box>
      ) : (
        <ul className="po-history-list" aria-label="Invoice history">
          {history.map((entry, index) => (
            <li key={`${entry.at}-${index}`}>
              <Box variant="p" margin="n">
                {describeInvoiceEntry(entry, invoice)}
              </Box>
              <Box variant="small">
                {formatTimestamp(entry.at)} · by {describeActor(entry.actor)}
              </Box>
            </li>
          ))}
        </ul>
      )}
    </Container>
  );
}

function RejectModal({ invoice, onDismiss, onReject }) {
  const [reason, setReason] = useState("");
  const [working, setWorking] = useState(false);
  const tooLong = reason.length > 500;
  return (
    <Modal
      visible
      header={`Reject ${invoice.invoiceId}?`}
      onDismiss={onDismiss}
      closeAriaLabel="Close"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={onDismiss}>
              Cancel
            </Button>
            <Button
              variant="primary"
              loading={working}
              disabled={tooLong || !reason.trim()}
              onClick={async () => {
                setWorking(true);
                await onReject(reason.trim());
                setWorking(false);
              }}
            >
              Reject
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="m">
        <Box>The invoice is unmatched, and what it still holds on its purchase order is credited back.</Box>
        <FormField label="Reason" description="Shown in the invoice's history, for the payables team." errorText={tooLong ? "At most 500 characters." : ""} constraintText={`${reason.length}/500`}>
          <Textarea value={reason} onChange={({ detail }) => setReason(detail.value)} rows={3} placeholder="e.g. Billed twice for November" />
        </FormField>
      </SpaceBetween>
    </Modal>
  );
}

function normalizeEntity(name) {
  return String(name ?? "").trim().replace(/\s+/g, " ");
}

function periodOf(item, month) {
  return (item.periods ?? []).find((period) => period.month <= month && (period.endMonth ?? period.month) >= month) ??
    (item.periods ?? []).filter((period) => period.month <= month).pop();
}

/** The PO line items that can take the invoice, each with its balance now and after. */
export function eligibleTargets(invoice, pos) {
  const month = invoice.serviceMonth;
  const entity = normalizeEntity(invoice.billingEntity);
  const memo = isCreditMemo(invoice);
  const amount = toUnits(invoice.subtotal) ?? 0n;
  const targets = [];
  for (const po of pos) {
    if (po.status !== "ACTIVE") continue;
    if (!po.billFrom.map(normalizeEntity).includes(entity)) continue;
    if (po.effectiveMonth > month || po.expirationMonth < month) continue;
    for (const item of po.lineItems) {
      if (item.type !== invoice.invoiceType && item.type !== "ALL") continue;
      if (item.startMonth > month || item.endMonth < month) continue;
      if (memo && (po.currency !== invoice.currency || !(toUnits(item.invoicedAmount) > 0n))) continue;
      const current = invoice.match?.poId === po.poId && invoice.match?.lineItemId === item.lineItemId;
      const period = item.periods?.length ? periodOf(item, month) : null;
      const balance = period ? period.balance : item.balance;
      let after = null;
      let note;
      if (po.currency !== invoice.currency) note = `Not debited: the invoice is in ${invoice.currency}, the purchase order in ${po.currency}.`;
      else if (balance !== null && balance !== undefined) {
        const now = toUnits(balance);
        const invoiced = toUnits(period ? period.invoicedAmount : item.invoicedAmount);
        after = memo ? now + (amount < invoiced ? amount : invoiced) : now - amount;
        note = `${period ? `Balance for ${monthLabel(period.month)}` : "Balance"} ${formatMoney(balance, po.currency)} → ${formatMoney(after, po.currency)} after this ${memo ? "credit" : "invoice"}${after < 0n ? " (over the balance)" : ""}`;
      } else note = "This purchase order does not track balances.";
      targets.push({ po, item, current, after, note, value: JSON.stringify([po.poId, item.lineItemId]) });
    }
  }
  return targets;
}

function ManualMatchModal({ invoice, onDismiss, onMatch }) {
  const [pos, setPos] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [choice, setChoice] = useState(null);
  const [working, setWorking] = useState(false);
  useEffect(() => {
    listAll((query) => api.listPurchaseOrders(query), { status: "ACTIVE" }).then(
      ({ items }) => setPos(items),
      (error) => setLoadError(describeError(error)),
    );
  }, []);
  const targets = useMemo(() => (pos ? eligibleTargets(invoice, pos) : []), [invoice, pos]);
  const groups = useMemo(() => {
    const by = new Map();
    for (const target of targets) {
      const group = by.get(target.po.poId) ?? { label: `${target.po.poId} (${target.po.currency})`, options: [] };
      group.options.push({
        value: target.value,
        label: `Line ${target.item.lineItemId}: ${label("lineItemType", target.item.type)}${target.current ? " (current match)" : ""}`,
        description: target.note,
        disabled: target.current,
      });
      by.set(target.po.poId, group);
    }
    return [...by.values()];
  }, [targets]);
  const chosen = targets.find((target) => target.value === choice?.value);
  return (
    <Modal
      visible
      size="medium"
      header={`Match ${invoice.invoiceId} by hand`}
      onDismiss={onDismiss}
      closeAriaLabel="Close"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={onDismiss}>
              Cancel
            </Button>
            <Button
              variant="primary"
              disabled={!chosen}
              loading={working}
              onClick={async () => {
                setWorking(true);
                await onMatch(chosen.po.poId, chosen.item.lineItemId);
                setWorking(false);
              }}
            >
              Match
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="m">
        <Box>
          Only active purchase orders that list {invoice.billingEntity}, are in effect in {monthLabel(invoice.serviceMonth)} and have a line item for{" "}
          {label("lineItemType", invoice.invoiceType).toLowerCase()} (or all types) can take it.
        </Box>
        {loadError ? <Alert type="error" header={loadError.header}>{loadError.content}</Alert> : null}
        {pos === null && !loadError ? (
          <Box>
            <Spinner /> Finding the purchase orders that can take it
          </Box>
        ) : null}
        {pos !== null && !targets.length ? (
          <Alert type="info" header="No purchase order can take this invoice">
            Add a line item that fits it, or a purchase order for {invoice.billingEntity} in effect in {monthLabel(invoice.serviceMonth)}.
          </Alert>
        ) : null}
        {targets.length ? (
          <FormField label="Purchase order and line item" description="Each option shows the balance now and after this invoice.">
            <Select
              selectedOption={choice}
              onChange={({ detail }) => setChoice(detail.selectedOption)}
              options={groups}
              placeholder="Choose a line item"
              ariaLabel="Purchase order and line item"
              filteringType="auto"
              expandToViewport
            />
          </FormField>
        ) : null}
        {chosen ? (
          <Alert type={chosen.after !== null && chosen.after < 0n ? "warning" : "info"} header={`Purchase order ${chosen.po.poId}, line ${chosen.item.lineItemId}`}>
            {chosen.note}
          </Alert>
        ) : null}
      </SpaceBetween>
    </Modal>
  );
}
