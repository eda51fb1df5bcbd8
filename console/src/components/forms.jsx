// Form controls the PO wizard, the line-item editor and the settings share: a month picker that can
// be typed, an amount field that takes "12,500.00", a line item's fields, and the API's 422 errors
// mapped to the fields they name.
import ColumnLayout from "@cloudscape-design/components/column-layout";
import DatePicker from "@cloudscape-design/components/date-picker";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import { ApiError } from "../lib/api.js";
import { LABELS, plainMessage } from "../lib/labels.js";
import { formatMoney, parseAmountInput } from "../lib/money.js";
import { isMonth, monthLabel, periodCount } from "../lib/months.js";

/** A month ("YYYY-MM"): typed (2026-07 or 2026/07) or picked from a calendar of months. */
export function MonthPicker({ value, onChange, ariaLabel, invalid, ariaDescribedby, controlId, disabled }) {
  return (
    <DatePicker
      granularity="month"
      format="iso"
      inputFormat="iso"
      placeholder="YYYY-MM"
      value={value ?? ""}
      invalid={invalid}
      controlId={controlId}
      ariaLabel={ariaLabel}
      ariaDescribedby={ariaDescribedby}
      disabled={disabled}
      onChange={({ detail }) => onChange(detail.value)}
      i18nStrings={{
        previousMonthAriaLabel: "Previous year",
        nextMonthAriaLabel: "Next year",
        todayAriaLabel: "This month",
        currentMonthAriaLabel: "This month",
        previousYearAriaLabel: "Previous year",
        nextYearAriaLabel: "Next year",
        openCalendarAriaLabel: (selected) => `Choose a month${selected ? `, selected ${selected}` : ""}`,
      }}
    />
  );
}

/** Checks a month typed in a form: "" when fine, else the reason. */
export function monthError(value, { required = true, name = "month" } = {}) {
  if (!value) return required ? `Enter the ${name} (YYYY-MM).` : "";
  if (!isMonth(value)) return `Enter the ${name} as YYYY-MM, between 2000-01 and 2099-12.`;
  return "";
}

export const TYPE_OPTIONS = Object.entries(LABELS.lineItemType).map(([value, label]) => ({ value, label }));
export const INVOICE_TYPE_OPTIONS = TYPE_OPTIONS.filter((option) => option.value !== "ALL");
export const RECURRENCE_OPTIONS = [
  { value: "NONE", label: "None: one amount for the whole line item" },
  { value: "MONTHLY", label: "Monthly: the amount is per month" },
  { value: "QUARTERLY", label: "Quarterly: the amount is per 3 months" },
  { value: "ANNUAL", label: "Annual: the amount is per 12 months" },
];

export function optionFor(options, value) {
  return options.find((option) => option.value === value) ?? null;
}

/** The amount label for a recurrence: "Amount per month" etc. */
export function amountLabel(recurrence) {
  const per = LABELS.period[recurrence];
  return per ? `Amount per ${per}` : "Amount";
}

/** A line item's total: amount × periods (amount text as typed; null when it does not parse). */
export function lineItemTotal(item, currency) {
  const parsed = parseAmountInput(item.amount, currency);
  if (parsed.error || !isMonth(item.startMonth) || !isMonth(item.endMonth)) return null;
  const periods = periodCount(item.startMonth, item.endMonth, item.recurrence ?? "NONE");
  const [whole, fraction = ""] = parsed.value.split(".");
  const units = BigInt(whole) * 10000n + BigInt((fraction + "0000").slice(0, 4));
  return { units: units * BigInt(periods), periods };
}

/** Client-side checks of one line item: {field: message}. */
export function lineItemErrors(item, { po, balanceTracking, currency, otherIds = [] }) {
  const errors = {};
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(item.lineItemId ?? "")) errors.lineItemId = "Use 1–32 letters, digits and . _ - (e.g. 1 or 1.1).";
  else if (otherIds.includes(item.lineItemId)) errors.lineItemId = "Another line item has this number.";
  const start = monthError(item.startMonth, { name: "start month" });
  const end = monthError(item.endMonth, { name: "end month" });
  if (start) errors.startMonth = start;
  if (end) errors.endMonth = end;
  if (!start && !end && item.startMonth > item.endMonth) errors.endMonth = "The end month cannot be before the start month.";
  if (po && isMonth(po.effectiveMonth) && isMonth(po.expirationMonth)) {
    const range = `${monthLabel(po.effectiveMonth)} to ${monthLabel(po.expirationMonth)}`;
    if (!errors.startMonth && (item.startMonth < po.effectiveMonth || item.startMonth > po.expirationMonth))
      errors.startMonth = `Must lie within the purchase order's months (${range}).`;
    if (!errors.endMonth && (item.endMonth < po.effectiveMonth || item.endMonth > po.expirationMonth))
      errors.endMonth = `Must lie within the purchase order's months (${range}).`;
  }
  if (balanceTracking) {
    const parsed = parseAmountInput(item.amount, currency);
    if (parsed.error) errors.amount = parsed.error;
  }
  return errors;
}

/** The line item as the API takes it. */
export function lineItemBody(item, { balanceTracking, currency }) {
  const body = {
    lineItemId: item.lineItemId.trim(),
    type: item.type,
    recurrence: item.recurrence,
    startMonth: item.startMonth,
    endMonth: item.endMonth,
  };
  if (item.description?.trim()) body.description = item.description.trim();
  if (balanceTracking) body.amount = parseAmountInput(item.amount, currency).value;
  return body;
}

/** The fields of one line item. errors: {field: message}; onChange(patch). */
export function LineItemFields({ item, onChange, errors = {}, existing = false, balanceTracking = true, currency, idPrefix }) {
  const total = balanceTracking ? lineItemTotal(item, currency) : null;
  const recurring = item.recurrence && item.recurrence !== "NONE";
  return (
    <ColumnLayout columns={3} minColumnWidth={200}>
      <FormField label="Line item number" errorText={errors.lineItemId} constraintText={existing ? "A line item keeps its number." : "e.g. 1 or 1.1"} controlId={`${idPrefix}-id`}>
        <Input controlId={`${idPrefix}-id`} value={item.lineItemId ?? ""} readOnly={existing} onChange={({ detail }) => onChange({ lineItemId: detail.value })} />
      </FormField>
      <FormField label="Type" errorText={errors.type} description="Invoices of this type (or any, with All) draw on it">
        <Select
          selectedOption={optionFor(TYPE_OPTIONS, item.type)}
          options={TYPE_OPTIONS}
          onChange={({ detail }) => onChange({ type: detail.selectedOption.value })}
          ariaLabel="Type"
        />
      </FormField>
      <FormField label="Recurrence" errorText={errors.recurrence}>
        <Select
          selectedOption={optionFor(RECURRENCE_OPTIONS, item.recurrence ?? "NONE")}
          options={RECURRENCE_OPTIONS}
          onChange={({ detail }) => onChange({ recurrence: detail.selectedOption.value })}
          ariaLabel="Recurrence"
        />
      </FormField>
      <FormField label="Start month" errorText={errors.startMonth} controlId={`${idPrefix}-start`}>
        <MonthPicker controlId={`${idPrefix}-start`} value={item.startMonth} invalid={Boolean(errors.startMonth)} onChange={(value) => onChange({ startMonth: value })} />
      </FormField>
      <FormField label="End month" errorText={errors.endMonth} controlId={`${idPrefix}-end`}>
        <MonthPicker controlId={`${idPrefix}-end`} value={item.endMonth} invalid={Boolean(errors.endMonth)} onChange={(value) => onChange({ endMonth: value })} />
      </FormField>
      {balanceTracking ? (
        <FormField
          label={amountLabel(item.recurrence)}
          errorText={errors.amount}
          controlId={`${idPrefix}-amount`}
          constraintText={
            total
              ? recurring
                ? `${total.periods} ${total.periods === 1 ? "period" : "periods"}: ${formatMoney(total.units, currency)} in all`
                : `${formatMoney(total.units, currency)}`
              : `In ${currency}; 12,500.00 and 12500 both work`
          }
        >
          <Input
            controlId={`${idPrefix}-amount`}
            inputMode="decimal"
            value={item.amount ?? ""}
            invalid={Boolean(errors.amount)}
            onChange={({ detail }) => onChange({ amount: detail.value })}
          />
        </FormField>
      ) : null}
      <FormField label={<span>Description <i>- optional</i></span>} errorText={errors.description} controlId={`${idPrefix}-description`}>
        <Input controlId={`${idPrefix}-description`} value={item.description ?? ""} onChange={({ detail }) => onChange({ description: detail.value })} />
      </FormField>
    </ColumnLayout>
  );
}

/** The API's 422 entries as {field path: plain message}; the rest (no field) under "". */
export function apiFieldErrors(error) {
  const errors = {};
  if (!(error instanceof ApiError)) return errors;
  for (const entry of error.fieldErrors) {
    const key = entry.field ?? "";
    const message = plainMessage(entry.msg);
    errors[key] = errors[key] ? `${errors[key]}; ${message}` : message;
  }
  return errors;
}

/** The errors under a prefix ("lineItems[0]."), keyed by the rest of the path. */
export function errorsUnder(errors, prefix) {
  const found = {};
  for (const [path, message] of Object.entries(errors)) {
    if (path.startsWith(prefix)) found[path.slice(prefix.length).replace(/\[\d+\]$/, "")] = message;
  }
  return found;
}

export function sentenceCase(message) {
  if (!message) return message;
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
