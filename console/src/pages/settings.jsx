// Account settings: the defaults new POs copy, matching rules, notifications, approval, e-invoices
// and the AWS invoice import. PUT /settings replaces the document, so the one read is sent back with
// the edits applied (fields this page does not show survive).
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Toggle from "@cloudscape-design/components/toggle";
import { useEffect, useState } from "react";
import { GuardedButton, usePageTitle } from "../components/common.jsx";
import { apiFieldErrors, INVOICE_TYPE_OPTIONS, optionFor } from "../components/forms.jsx";
import { describeError, useFlash, useNotifyError, useUnsavedChangesGuard } from "../context.jsx";
import { api } from "../lib/api.js";
import { parseAmountInput } from "../lib/money.js";

const ADDRESS_PARTS = [
  ["name", "Name"],
  ["line1", "Address line 1"],
  ["line2", "Address line 2 (optional)"],
  ["city", "City"],
  ["region", "Region (optional)"],
  ["postalCode", "Postal code (optional)"],
  ["country", "Country code"],
];

/** "30, 7" → [30, 7]; an entry that is not a whole number is kept as typed (and refused here). */
function numberList(text) {
  return String(text)
    .split(/[,\s]+/)
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => (/^\d+$/.test(entry) ? Number.parseInt(entry, 10) : entry));
}

export function SettingsPage() {
  usePageTitle("Settings");
  const { notify } = useFlash();
  const notifyError = useNotifyError();
  const [saved, setSaved] = useState(null);
  const [form, setForm] = useState(null);
  const [errors, setErrors] = useState({});
  const [saving, setSaving] = useState(false);
  const [problem, setProblem] = useState(null);
  const [importing, setImporting] = useState(false);

  const load = () =>
    api.getSettings().then(
      (settings) => {
        setSaved(settings);
        setForm(toForm(settings));
      },
      (error) => setProblem(describeError(error)),
    );
  useEffect(() => {
    load();
  }, []);
  const dirty = saved && form && JSON.stringify(form) !== JSON.stringify(toForm(saved));
  useUnsavedChangesGuard(Boolean(dirty) && !saving);

  if (problem)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Settings</Header>
        <Alert type="error" header={problem.header}>
          {problem.content}
        </Alert>
      </SpaceBetween>
    );
  if (!form)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">Settings</Header>
        <Box textAlign="center" padding="xl">
          <Spinner size="large" /> Loading settings
        </Box>
      </SpaceBetween>
    );
  const set = (patch) => setForm((current) => ({ ...current, ...patch }));
  const text = (name, label, props = {}) => (
    <FormField label={label} errorText={errors[name]} controlId={`settings-${name}`} {...props.field}>
      <Input controlId={`settings-${name}`} value={form[name] ?? ""} onChange={({ detail }) => set({ [name]: detail.value })} {...props.input} />
    </FormField>
  );

  const save = async () => {
    const local = {};
    const tolerance = form.tolerancePercent.trim();
    if (!/^\d+(\.\d+)?$/.test(tolerance) || Number(tolerance) > 100) local["matching.tolerancePercent"] = "Enter a percentage from 0 to 100.";
    let toleranceAmount = null;
    if (form.toleranceAmount.trim()) {
      const parsed = parseAmountInput(form.toleranceAmount, form.currency);
      if (parsed.error) local["matching.toleranceAmount"] = parsed.error;
      else toleranceAmount = parsed.value;
    }
    const days = numberList(form.expiryNoticeDays);
    const percents = numberList(form.balanceAlertPercents);
    if (days.some((value) => typeof value !== "number")) local["notifications.expiryNoticeDays"] = "Enter whole numbers of days, separated by commas, e.g. 30, 7.";
    if (percents.some((value) => typeof value !== "number")) local["notifications.balanceAlertPercents"] = "Enter whole percentages, separated by commas, e.g. 75, 100.";
    if (!/^[A-Z]{3}$/.test(form.currency)) local.currency = "Enter a three-letter currency code such as USD.";
    setErrors(local);
    if (Object.keys(local).length) return;
    const billTo = ADDRESS_PARTS.some(([part]) => form[`billTo.${part}`]?.trim())
      ? Object.fromEntries(ADDRESS_PARTS.map(([part]) => [part, form[`billTo.${part}`]?.trim() || null]))
      : null;
    const edited = {
      ...saved,
      currency: form.currency,
      paymentTerms: form.paymentTerms,
      billTo,
      matching: {
        ...saved.matching,
        requirePurchaseOrder: form.requirePurchaseOrder,
        blockExceedingBalance: form.blockExceedingBalance,
        requireLineItemMatch: form.requireLineItemMatch,
        tolerancePercent: tolerance,
        toleranceAmount,
      },
      notifications: { ...saved.notifications, expiryNoticeDays: days, balanceAlertPercents: percents, forecastAlerts: form.forecastAlerts },
      einvoicing: { ...saved.einvoicing, defaultInvoiceType: form.defaultInvoiceType },
    };
    if (saved.approval) edited.approval = { ...saved.approval, separateApprover: form.separateApprover };
    if (saved.awsInvoices) edited.awsInvoices = { ...saved.awsInvoices, enabled: form.awsEnabled, roleArn: form.awsRoleArn.trim() || null };
    setSaving(true);
    try {
      const answer = await api.putSettings(edited);
      setSaved(answer);
      setForm(toForm(answer));
      notify({ type: "success", content: "Settings saved." });
    } catch (error) {
      const fields = apiFieldErrors(error);
      if (Object.keys(fields).length) setErrors(fields);
      else notifyError(error, { action: "Save settings", onReload: load });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form
      aria-label="Settings"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <Form
        header={<Header variant="h1" description="For the whole account. New purchase orders copy the defaults.">Settings</Header>}
        errorText={Object.keys(errors).length ? "Some settings need attention (see below)." : undefined}
        actions={
          <GuardedButton route={["PUT", "/settings"]} variant="primary" formAction="submit" loading={saving}>
            Save settings
          </GuardedButton>
        }
      >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">Defaults for new purchase orders</Header>}>
            <SpaceBetween size="l">
              <ColumnLayout columns={2}>
                {text("currency", "Currency", { field: { constraintText: "ISO-4217 code, e.g. USD" }, input: { onChange: ({ detail }) => set({ currency: detail.value.toUpperCase() }) } })}
                {text("paymentTerms", "Payment terms")}
              </ColumnLayout>
              <Box variant="h3">Bill-to address</Box>
              <ColumnLayout columns={3} minColumnWidth={180}>
                {ADDRESS_PARTS.map(([part, label]) => (
                  <FormField key={part} label={label} errorText={errors[`billTo.${part}`]} controlId={`settings-billTo-${part}`}>
                    <Input controlId={`settings-billTo-${part}`} value={form[`billTo.${part}`] ?? ""} onChange={({ detail }) => set({ [`billTo.${part}`]: detail.value })} />
                  </FormField>
                ))}
              </ColumnLayout>
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2">Matching rules</Header>}>
            <SpaceBetween size="m">
              <Checkbox checked={form.requirePurchaseOrder} onChange={({ detail }) => set({ requirePurchaseOrder: detail.checked })} description="An unmatched invoice cannot be submitted.">
                Require a purchase order
              </Checkbox>
              <Checkbox checked={form.blockExceedingBalance} onChange={({ detail }) => set({ blockExceedingBalance: detail.checked })} description="Beyond the tolerance, a line item cannot take the invoice.">
                Block invoices exceeding the balance
              </Checkbox>
              <Checkbox checked={form.requireLineItemMatch} onChange={({ detail }) => set({ requireLineItemMatch: detail.checked })} description="Invoice lines naming PO line items must fit them.">
                Require line-item match
              </Checkbox>
              <ColumnLayout columns={2}>
                {text("tolerancePercent", "Tolerance (%)", { field: { errorText: errors["matching.tolerancePercent"], constraintText: "0–100 percent of the balance" }, input: { inputMode: "decimal" } })}
                {text("toleranceAmount", "Tolerance amount (optional)", { field: { errorText: errors["matching.toleranceAmount"], constraintText: "In the account currency; the stricter of the two applies" }, input: { inputMode: "decimal" } })}
              </ColumnLayout>
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2">Notifications</Header>}>
            <SpaceBetween size="m">
              <ColumnLayout columns={2}>
                {text("expiryNoticeDays", "Expiry notices (days before)", { field: { errorText: errors["notifications.expiryNoticeDays"], constraintText: "Comma-separated, e.g. 30, 7" } })}
                {text("balanceAlertPercents", "Balance alerts (% invoiced)", { field: { errorText: errors["notifications.balanceAlertPercents"], constraintText: "Comma-separated, e.g. 75, 100" } })}
              </ColumnLayout>
              <Checkbox checked={form.forecastAlerts} onChange={({ detail }) => set({ forecastAlerts: detail.checked })} description="When a purchase order's balance is forecast to run out more than a month before it expires.">
                Forecast alerts
              </Checkbox>
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2">Approval and e-invoices</Header>}>
            <SpaceBetween size="m">
              <Checkbox checked={form.separateApprover} onChange={({ detail }) => set({ separateApprover: detail.checked })} description="The user who submitted an invoice cannot approve it (for teams of more than one).">
                Separate approver
              </Checkbox>
              <FormField label="Invoice type of e-invoices" description="UBL, CII and Factur-X invoices carry no AWS invoice type: they are matched as this type.">
                <Select
                  selectedOption={optionFor(INVOICE_TYPE_OPTIONS, form.defaultInvoiceType)}
                  options={INVOICE_TYPE_OPTIONS}
                  onChange={({ detail }) => set({ defaultInvoiceType: detail.selectedOption.value })}
                  ariaLabel="Invoice type of e-invoices"
                />
              </FormField>
            </SpaceBetween>
          </Container>
          <Container header={<Header variant="h2" description="Import this account's AWS invoices daily through the AWS Invoicing API.">AWS invoices</Header>}>
            <SpaceBetween size="m">
              <Toggle checked={form.awsEnabled} onChange={({ detail }) => set({ awsEnabled: detail.checked })}>
                Import AWS invoices
              </Toggle>
              {text("awsRoleArn", "Role ARN", { field: { errorText: errors["awsInvoices.roleArn"], description: "A role in the payer account that this service may assume" } })}
              <FormField label="External id" description="Put this in the role's trust policy.">
                <Input value={saved.awsInvoices?.externalId ?? ""} readOnly ariaLabel="External id" />
              </FormField>
              {saved.awsInvoices?.enabled ? (
                <Button
                  loading={importing}
                  onClick={async () => {
                    setImporting(true);
                    try {
                      const summary = await api.importAwsInvoices();
                      notify({ type: "success", content: `AWS invoices imported: ${summary.imported ?? 0} new.` });
                    } catch (error) {
                      notifyError(error, { action: "Import AWS invoices" });
                    } finally {
                      setImporting(false);
                    }
                  }}
                >
                  Import now
                </Button>
              ) : null}
            </SpaceBetween>
          </Container>
        </SpaceBetween>
      </Form>
    </form>
  );
}

function toForm(settings) {
  const form = {
    currency: settings.currency ?? "",
    paymentTerms: settings.paymentTerms ?? "",
    requirePurchaseOrder: Boolean(settings.matching?.requirePurchaseOrder),
    blockExceedingBalance: Boolean(settings.matching?.blockExceedingBalance),
    requireLineItemMatch: Boolean(settings.matching?.requireLineItemMatch),
    tolerancePercent: String(settings.matching?.tolerancePercent ?? "0"),
    toleranceAmount: settings.matching?.toleranceAmount ?? "",
    expiryNoticeDays: (settings.notifications?.expiryNoticeDays ?? []).join(", "),
    balanceAlertPercents: (settings.notifications?.balanceAlertPercents ?? []).join(", "),
    forecastAlerts: Boolean(settings.notifications?.forecastAlerts),
    separateApprover: Boolean(settings.approval?.separateApprover),
    defaultInvoiceType: settings.einvoicing?.defaultInvoiceType ?? "MONTHLY_USAGE",
    awsEnabled: Boolean(settings.awsInvoices?.enabled),
    awsRoleArn: settings.awsInvoices?.roleArn ?? "",
  };
  for (const [part] of ADDRESS_PARTS) form[`billTo.${part}`] = settings.billTo?.[part] ?? "";
  return form;
}
