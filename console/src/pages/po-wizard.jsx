// Adding or editing a purchase order: a two-step Cloudscape Wizard (the order, then its line items),
// checked here as the user types (months, line-item months, amounts) and by the API, whose errors
// appear next to the fields they name, on whichever step they are. Leaving with unsaved changes asks first.
import Alert from "@cloudscape-design/components/alert";
import AttributeEditor from "@cloudscape-design/components/attribute-editor";
import Autosuggest from "@cloudscape-design/components/autosuggest";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import Textarea from "@cloudscape-design/components/textarea";
import Toggle from "@cloudscape-design/components/toggle";
import Wizard from "@cloudscape-design/components/wizard";
import { useCallback, useEffect, useMemo, useState } from "react";
import { usePageTitle } from "../components/common.jsx";
import { apiFieldErrors, errorsUnder, LineItemFields, lineItemBody, lineItemErrors, lineItemTotal, monthError, MonthPicker, sentenceCase } from "../components/forms.jsx";
import { describeError, navigate, poHref, releaseGuard, useFlash, useNotifyError, useSession, useUnsavedChangesGuard } from "../context.jsx";
import { api, ApiError, listAll } from "../lib/api.js";
import { describeField } from "../lib/labels.js";
import { formatMoney } from "../lib/money.js";
import { currentMonth, addMonths } from "../lib/months.js";

const PO_ID = /^[A-Za-z0-9 _.:=+\-%@#]{1,100}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ADDRESS_PARTS = [
  ["name", "Name"],
  ["line1", "Address line 1"],
  ["line2", "Address line 2 (optional)"],
  ["city", "City"],
  ["region", "Region (optional)"],
  ["postalCode", "Postal code (optional)"],
  ["country", "Country code"],
];
const STEP_ONE_FIELDS = /^(poId|description|billFrom|effectiveMonth|expirationMonth|contacts|shipTo|tags|currency|balanceTracking)/;

function emptyLineItem(number, state) {
  return { lineItemId: String(number), type: "ALL", recurrence: "NONE", startMonth: state.effectiveMonth, endMonth: state.expirationMonth, amount: "", description: "" };
}

function stateFrom(po, settings) {
  if (!po) {
    const start = currentMonth();
    const state = {
      poId: "",
      description: "",
      billFrom: [{ value: "" }],
      currency: settings.currency,
      effectiveMonth: start,
      expirationMonth: addMonths(start, 11),
      shipTo: null,
      contacts: [],
      tags: [],
      balanceTracking: true,
    };
    state.lineItems = [emptyLineItem(1, state)];
    return state;
  }
  return {
    poId: po.poId,
    description: po.description ?? "",
    billFrom: po.billFrom.map((value) => ({ value })),
    currency: po.currency,
    effectiveMonth: po.effectiveMonth,
    expirationMonth: po.expirationMonth,
    shipTo: po.shipTo,
    contacts: (po.contacts ?? []).map((contact) => ({ name: contact.name ?? "", email: contact.email ?? "", phone: contact.phone ?? "" })),
    tags: (po.tags ?? []).map((tag) => ({ key: tag.key, value: tag.value ?? "" })),
    balanceTracking: po.balanceTracking,
    lineItems: po.lineItems.map((item) => ({ ...item, amount: item.amount ?? "", description: item.description ?? "", existing: true, monthsSet: true })),
  };
}

function stepOneErrors(state) {
  const errors = {};
  if (!PO_ID.test(state.poId.trim())) errors.poId = "Use 1–100 letters, digits, spaces and _ . : = + - % @ #.";
  state.billFrom.forEach((entry, index) => {
    if (!entry.value.trim()) errors[`billFrom[${index}]`] = "Enter the entity name exactly as it appears on invoices.";
  });
  if (!state.billFrom.length) errors.billFrom = "Add at least one bill-from entity.";
  const effective = monthError(state.effectiveMonth, { name: "effective month" });
  const expiration = monthError(state.expirationMonth, { name: "expiration month" });
  if (effective) errors.effectiveMonth = effective;
  if (expiration) errors.expirationMonth = expiration;
  if (!effective && !expiration && state.expirationMonth < state.effectiveMonth) errors.expirationMonth = "The expiration month cannot be before the effective month.";
  if (!/^[A-Z]{3}$/.test(state.currency ?? "")) errors.currency = "Enter a three-letter currency code such as USD.";
  state.contacts.forEach((contact, index) => {
    if (!contact.name.trim()) errors[`contacts[${index}].name`] = "Enter a name.";
    if (!EMAIL.test(contact.email.trim())) errors[`contacts[${index}].email`] = "Enter an e-mail address such as ana@example.com.";
  });
  const keys = new Set();
  state.tags.forEach((tag, index) => {
    if (!tag.key.trim()) errors[`tags[${index}].key`] = "Enter a key.";
    else if (keys.has(tag.key.trim())) errors[`tags[${index}].key`] = "Each key only once.";
    keys.add(tag.key.trim());
  });
  return errors;
}

function stepTwoErrors(state) {
  const errors = {};
  state.lineItems.forEach((item, index) => {
    const otherIds = state.lineItems.filter((_, other) => other !== index).map((other) => other.lineItemId);
    for (const [field, message] of Object.entries(
      lineItemErrors(item, { po: state, balanceTracking: state.balanceTracking, currency: state.currency, otherIds }),
    ))
      errors[`lineItems[${index}].${field}`] = message;
  });
  return errors;
}

function bodyFrom(state, po) {
  const shipTo = state.shipTo && Object.values(state.shipTo).some((value) => value && String(value).trim())
    ? Object.fromEntries(ADDRESS_PARTS.map(([part]) => [part, state.shipTo[part]?.trim() || null]))
    : null;
  const body = {
    poId: state.poId.trim(),
    billFrom: state.billFrom.map((entry) => entry.value.trim()),
    effectiveMonth: state.effectiveMonth,
    expirationMonth: state.expirationMonth,
    shipTo,
    contacts: state.contacts.map((contact) => ({ name: contact.name.trim(), email: contact.email.trim(), phone: contact.phone.trim() || null })),
    balanceTracking: state.balanceTracking,
    lineItems: state.lineItems.map((item) => lineItemBody(item, { balanceTracking: state.balanceTracking, currency: state.currency })),
  };
  if (state.description.trim()) body.description = state.description.trim();
  if (state.tags.length) body.tags = state.tags.map((tag) => ({ key: tag.key.trim(), value: tag.value }));
  if (po) Object.assign(body, { billTo: po.billTo, currency: po.currency });
  else if (state.currency) body.currency = state.currency;
  return body;
}

export function PurchaseOrderWizard({ pathParameters: [poId] = [], edit }) {
  const title = edit ? `Edit purchase order ${poId}` : "Add purchase order";
  usePageTitle(title);
  const { allows, whyNot } = useSession();
  const [settings, setSettings] = useState(null);
  const [po, setPo] = useState(null);
  const [entities, setEntities] = useState([]);
  const [problem, setProblem] = useState(null);
  const route = edit ? ["PUT", "/purchase-orders/{poId}"] : ["POST", "/purchase-orders"];

  useEffect(() => {
    Promise.all([api.getSettings(), edit ? api.getPurchaseOrder(poId) : Promise.resolve(null)]).then(
      ([loadedSettings, loadedPo]) => {
        setSettings(loadedSettings);
        setPo(loadedPo);
      },
      (error) => setProblem(describeError(error)),
    );
    listAll((query) => api.listPurchaseOrders(query), {}, 5).then(
      ({ items }) => setEntities([...new Set(items.flatMap((existing) => existing.billFrom))].sort()),
      () => setEntities([]),
    );
  }, [edit, poId]);

  if (!allows(...route))
    return (
      <SpaceBetween size="l">
        <Header variant="h1">{title}</Header>
        <Alert type="info" header="Not available to you">
          {whyNot(...route)}
        </Alert>
      </SpaceBetween>
    );
  if (problem)
    return (
      <SpaceBetween size="l">
        <Header variant="h1">{title}</Header>
        <Alert type="error" header={problem.header}>
          {problem.content}
        </Alert>
      </SpaceBetween>
    );
  if (!settings || (edit && !po))
    return (
      <SpaceBetween size="l">
        <Header variant="h1">{title}</Header>
        <Box textAlign="center" padding="xl">
          <Spinner size="large" /> Loading
        </Box>
      </SpaceBetween>
    );
  return <WizardForm title={title} settings={settings} po={po} entities={entities} />;
}

function WizardForm({ title, settings, po, entities }) {
  const { notify } = useFlash();
  const notifyError = useNotifyError();
  const initial = useMemo(() => stateFrom(po, settings), [po, settings]);
  const [state, setState] = useState(initial);
  const [step, setStep] = useState(0);
  const [shown, setShown] = useState({ 0: false, 1: false }); // client errors show once a step was tried
  const [apiErrors, setApiErrors] = useState({});
  const [summary, setSummary] = useState(null);
  const [saving, setSaving] = useState(false);
  const dirty = JSON.stringify(state) !== JSON.stringify(initial);
  useUnsavedChangesGuard(dirty && !saving);

  const update = useCallback((patch) => {
    setState((current) => ({ ...current, ...(typeof patch === "function" ? patch(current) : patch) }));
  }, []);
  const clientOne = stepOneErrors(state);
  const clientTwo = stepTwoErrors(state);
  const errors = { ...(shown[0] ? clientOne : {}), ...(shown[1] ? clientTwo : {}), ...apiErrors };
  const clearApi = (prefix) => setApiErrors((current) => Object.fromEntries(Object.entries(current).filter(([path]) => !path.startsWith(prefix))));

  const billTo = po ? po.billTo : settings.billTo;
  const runningTotal = state.lineItems.reduce((sum, item) => {
    const total = lineItemTotal(item, state.currency);
    return total ? sum + total.units : sum;
  }, 0n);
  const incomplete = state.lineItems.some((item) => !lineItemTotal(item, state.currency));

  const submit = async () => {
    setShown({ 0: true, 1: true });
    if (Object.keys(clientOne).length) {
      setStep(0);
      return;
    }
    if (Object.keys(clientTwo).length) return;
    setSaving(true);
    setSummary(null);
    setApiErrors({});
    try {
      const saved = po ? await api.replacePurchaseOrder(po, bodyFrom(state, po)) : await api.createPurchaseOrder(bodyFrom(state, null));
      releaseGuard();
      notify({ type: "success", content: po ? `Purchase order ${saved.poId} saved.` : `Purchase order ${saved.poId} created.` });
      navigate(poHref(saved.poId), { force: true });
    } catch (error) {
      setSaving(false);
      const fields = apiFieldErrors(error);
      if (Object.keys(fields).length) {
        setApiErrors(fields);
        setSummary(
          Object.entries(fields).map(([path, message]) => `${describeField(path) || "The purchase order"}: ${message}`),
        );
        if (Object.keys(fields).some((path) => STEP_ONE_FIELDS.test(path))) setStep(0);
      } else if (error instanceof ApiError && error.status === 409) {
        setApiErrors({ poId: describeError(error).content });
        setSummary([`PO id: ${describeError(error).content}`]);
        setStep(0);
      } else {
        notifyError(error, { action: po ? "Save" : "Create", onReload: () => location.reload() });
      }
    }
  };

  const errorSummary = summary ? (
    <Alert type="error" header="There is a problem" statusIconAriaLabel="Error">
      <ul>
        {summary.map((line) => (
          <li key={line}>{sentenceCase(line)}</li>
        ))}
      </ul>
    </Alert>
  ) : null;

  const stepOne = (
    <SpaceBetween size="l">
      {errorSummary}
      <Container header={<Header variant="h2">Purchase order</Header>}>
        <SpaceBetween size="l">
          <FormField label="PO id" errorText={errors.poId} constraintText={po ? "A purchase order keeps its id." : "Letters, digits, spaces and _ . : = + - % @ #"} controlId="po-id">
            <Input controlId="po-id" value={state.poId} readOnly={Boolean(po)} onChange={({ detail }) => { update({ poId: detail.value }); clearApi("poId"); }} />
          </FormField>
          <FormField label={<span>Description <i>- optional</i></span>} errorText={errors.description} controlId="po-description">
            <Textarea controlId="po-description" value={state.description} rows={2} onChange={({ detail }) => update({ description: detail.value })} />
          </FormField>
          <FormField label="Bill-from entities (sellers of record)" description="Invoices from any of these entities can be matched to this purchase order." errorText={errors.billFrom}>
            <AttributeEditor
              items={state.billFrom}
              addButtonText="Add entity"
              removeButtonText="Remove"
              onAddButtonClick={() => update((current) => ({ billFrom: [...current.billFrom, { value: "" }] }))}
              onRemoveButtonClick={({ detail }) => update((current) => ({ billFrom: current.billFrom.filter((_, index) => index !== detail.itemIndex) }))}
              isItemRemovable={() => state.billFrom.length > 1}
              definition={[
                {
                  label: "Entity name",
                  errorText: (_, index) => errors[`billFrom[${index}]`],
                  control: (item, index) => (
                    <Autosuggest
                      value={item.value}
                      ariaLabel={`Entity name ${index + 1}`}
                      options={entities.map((value) => ({ value }))}
                      enteredTextLabel={(value) => `Use: "${value}"`}
                      placeholder="Exactly as it appears on invoices"
                      empty="No entity used yet"
                      onChange={({ detail }) => {
                        update((current) => ({ billFrom: current.billFrom.map((entry, other) => (other === index ? { value: detail.value } : entry)) }));
                        clearApi(`billFrom[${index}]`);
                      }}
                    />
                  ),
                },
              ]}
              i18nStrings={{ removeButtonAriaLabel: (item) => `Remove entity ${item.value}` }}
            />
          </FormField>
          {state.billFrom.length > 1 ? (
            <Alert type="warning">More than one bill-from entity: invoices from any of them will be matched to this purchase order.</Alert>
          ) : null}
          <ColumnLayout columns={3} minColumnWidth={180}>
            <FormField label="Effective month" errorText={errors.effectiveMonth} constraintText="YYYY-MM" controlId="po-effective">
              <MonthPicker controlId="po-effective" value={state.effectiveMonth} invalid={Boolean(errors.effectiveMonth)} onChange={(value) => { update({ effectiveMonth: value }); clearApi("effectiveMonth"); }} />
            </FormField>
            <FormField label="Expiration month" errorText={errors.expirationMonth} constraintText="YYYY-MM; in effect to its last day (UTC)" controlId="po-expiration">
              <MonthPicker controlId="po-expiration" value={state.expirationMonth} invalid={Boolean(errors.expirationMonth)} onChange={(value) => { update({ expirationMonth: value }); clearApi("expirationMonth"); }} />
            </FormField>
            <FormField label="Currency" errorText={errors.currency} constraintText={po ? "A purchase order keeps its currency." : `The account's currency is ${settings.currency}`} controlId="po-currency">
              <Input controlId="po-currency" value={state.currency} readOnly={Boolean(po)} onChange={({ detail }) => update({ currency: detail.value.toUpperCase() })} />
            </FormField>
          </ColumnLayout>
          <KeyValuePairs
            columns={2}
            items={[
              { label: "Bill-to", value: billTo ? ADDRESS_PARTS.map(([part]) => billTo[part]).filter(Boolean).join(", ") : <span>No bill-to address is set (Settings).</span> },
              { label: "Payment terms", value: po ? po.paymentTerms : settings.paymentTerms },
            ]}
          />
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2" description="Notified before the purchase order expires and on balance alerts">Contacts</Header>}>
        <AttributeEditor
          items={state.contacts}
          addButtonText="Add contact"
          removeButtonText="Remove"
          empty="No contacts: no notices are sent."
          onAddButtonClick={() => update((current) => ({ contacts: [...current.contacts, { name: "", email: "", phone: "" }] }))}
          onRemoveButtonClick={({ detail }) => update((current) => ({ contacts: current.contacts.filter((_, index) => index !== detail.itemIndex) }))}
          definition={["name", "email", "phone"].map((part) => ({
            label: { name: "Name", email: "Email", phone: "Phone (optional)" }[part],
            errorText: (_, index) => errors[`contacts[${index}].${part}`] ?? (part === "name" ? errors[`contacts[${index}]`] : undefined),
            control: (item, index) => (
              <Input
                value={item[part]}
                type={part === "email" ? "email" : "text"}
                ariaLabel={`Contact ${index + 1} ${part}`}
                onChange={({ detail }) => update((current) => ({ contacts: current.contacts.map((contact, other) => (other === index ? { ...contact, [part]: detail.value } : contact)) }))}
              />
            ),
          }))}
          i18nStrings={{ removeButtonAriaLabel: (item) => `Remove contact ${item.name}` }}
        />
      </Container>
      <ExpandableSection variant="container" headerText="Ship-to and tags (optional)" defaultExpanded={Boolean(state.shipTo || state.tags.length)}>
        <SpaceBetween size="l">
          <Button disabled={!billTo} onClick={() => { update({ shipTo: { ...billTo } }); notify({ type: "info", content: "Bill-to copied to ship-to." }); }}>
            Copy bill-to
          </Button>
          <ColumnLayout columns={3} minColumnWidth={180}>
            {ADDRESS_PARTS.map(([part, text]) => (
              <FormField key={part} label={text} errorText={errors[`shipTo.${part}`]} controlId={`ship-${part}`}>
                <Input controlId={`ship-${part}`} value={state.shipTo?.[part] ?? ""} onChange={({ detail }) => update((current) => ({ shipTo: { ...(current.shipTo ?? {}), [part]: detail.value } }))} />
              </FormField>
            ))}
          </ColumnLayout>
          <FormField label="Tags" description="Key and value pairs, as on AWS purchase orders; the list filters by them.">
            <AttributeEditor
              items={state.tags}
              addButtonText="Add tag"
              removeButtonText="Remove"
              empty="No tags"
              onAddButtonClick={() => update((current) => ({ tags: [...current.tags, { key: "", value: "" }] }))}
              onRemoveButtonClick={({ detail }) => update((current) => ({ tags: current.tags.filter((_, index) => index !== detail.itemIndex) }))}
              definition={["key", "value"].map((part) => ({
                label: part === "key" ? "Key" : "Value",
                errorText: (_, index) => errors[`tags[${index}].${part}`],
                control: (item, index) => (
                  <Input
                    value={item[part]}
                    ariaLabel={`Tag ${index + 1} ${part}`}
                    onChange={({ detail }) => update((current) => ({ tags: current.tags.map((tag, other) => (other === index ? { ...tag, [part]: detail.value } : tag)) }))}
                  />
                ),
              }))}
              i18nStrings={{ removeButtonAriaLabel: (item) => `Remove tag ${item.key}` }}
            />
          </FormField>
        </SpaceBetween>
      </ExpandableSection>
    </SpaceBetween>
  );

  const stepTwo = (
    <SpaceBetween size="l">
      {errorSummary}
      <Container
        header={
          <Header
            variant="h2"
            description="Each line item says which invoices it takes (by type and months) and how much."
            info={<Box variant="span">{state.lineItems.length} {state.lineItems.length === 1 ? "line item" : "line items"}</Box>}
          >
            Line items
          </Header>
        }
      >
        <SpaceBetween size="l">
          <Toggle checked={state.balanceTracking} onChange={({ detail }) => update({ balanceTracking: detail.checked })} description="Each line item has an amount that invoices draw down.">
            Track balances
          </Toggle>
          {state.balanceTracking ? (
            <Box variant="h3" tagOverride="p">
              <span aria-live="polite">
                Running total: {formatMoney(runningTotal, state.currency)}
                {incomplete ? " (some amounts are not filled in yet)" : ""}
              </span>
            </Box>
          ) : null}
          {errors.lineItems ? <Alert type="error">{errors.lineItems}</Alert> : null}
          {state.lineItems.map((item, index) => (
            <div role="group" aria-label={`Line item ${index + 1}`} key={index}>
              <Container
                header={
                  <Header
                    variant="h3"
                    actions={
                      state.lineItems.length > 1 ? (
                        <Button
                          variant="normal"
                          ariaLabel={`Remove line item ${index + 1}`}
                          onClick={() => update((current) => ({ lineItems: current.lineItems.filter((_, other) => other !== index) }))}
                        >
                          Remove
                        </Button>
                      ) : null
                    }
                  >
                    Line item {index + 1}
                  </Header>
                }
              >
                <LineItemFields
                  idPrefix={`line-${index}`}
                  item={item}
                  existing={Boolean(item.existing)}
                  balanceTracking={state.balanceTracking}
                  currency={state.currency}
                  errors={errorsUnder(errors, `lineItems[${index}].`)}
                  onChange={(patch) => {
                    const monthsSet = "startMonth" in patch || "endMonth" in patch ? { monthsSet: true } : {};
                    update((current) => ({ lineItems: current.lineItems.map((existing, other) => (other === index ? { ...existing, ...patch, ...monthsSet } : existing)) }));
                    clearApi(`lineItems[${index}]`);
                  }}
                />
              </Container>
            </div>
          ))}
          <Button
            iconName="add-plus"
            onClick={() =>
              update((current) => ({
                lineItems: [...current.lineItems, emptyLineItem(Math.max(0, ...current.lineItems.map((existing) => Number.parseInt(existing.lineItemId, 10) || 0)) + 1, current)],
              }))
            }
          >
            Add line item
          </Button>
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );

  return (
    <Wizard
      i18nStrings={{
        stepNumberLabel: (number) => `Step ${number}`,
        collapsedStepsLabel: (number, count) => `Step ${number} of ${count}`,
        skipToButtonLabel: (target) => `Skip to ${target.title}`,
        navigationAriaLabel: "Steps",
        cancelButton: "Cancel",
        previousButton: "Previous",
        nextButton: "Next: line items",
        optional: "optional",
      }}
      submitButtonText={po ? "Save purchase order" : "Create purchase order"}
      isLoadingNextStep={saving}
      activeStepIndex={step}
      onNavigate={({ detail }) => {
        if (detail.requestedStepIndex > step) {
          setShown((current) => ({ ...current, 0: true }));
          if (Object.keys(clientOne).length) return;
          // Line items run over the PO's months unless the user set their own.
          setState((current) => ({
            ...current,
            lineItems: current.lineItems.map((item) =>
              item.monthsSet ? item : { ...item, startMonth: current.effectiveMonth, endMonth: current.expirationMonth },
            ),
          }));
        }
        setStep(detail.requestedStepIndex);
      }}
      onCancel={() => navigate(po ? poHref(po.poId) : "#/purchase-orders")}
      onSubmit={submit}
      steps={[
        { title: "Purchase order", description: title, content: stepOne },
        { title: "Line items", description: "What the purchase order covers, and how much", content: stepTwo },
      ]}
    />
  );
}
