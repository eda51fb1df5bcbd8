// Months ("YYYY-MM", UTC) as the contract uses them.

export const MONTH_PATTERN = /^(20\d\d)-(0[1-9]|1[0-2])$/;

export function isMonth(value) {
  return MONTH_PATTERN.test(value ?? "");
}

/** What a person types or the month picker gives ("2026-7", "2026/07", "07/2026") as "YYYY-MM"; null if not a month. */
export function normalizeMonth(text) {
  const value = String(text ?? "").trim();
  let match = /^(\d{4})[-/. ](\d{1,2})$/.exec(value);
  if (match) return pad(match[1], match[2]);
  match = /^(\d{1,2})[-/. ](\d{4})$/.exec(value);
  if (match) return pad(match[2], match[1]);
  return null;
}

function pad(year, month) {
  const number = Number(month);
  if (number < 1 || number > 12) return null;
  return `${year}-${String(number).padStart(2, "0")}`;
}

export function monthIndex(month) {
  const [year, number] = month.split("-").map(Number);
  return year * 12 + number - 1;
}

export function fromIndex(index) {
  return `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

export function addMonths(month, count) {
  return fromIndex(monthIndex(month) + count);
}

export function currentMonth() {
  const now = new Date();
  return fromIndex(now.getUTCFullYear() * 12 + now.getUTCMonth());
}

/** Months from start to end inclusive (0 if end < start). */
export function monthCount(start, end) {
  return Math.max(0, monthIndex(end) - monthIndex(start) + 1);
}

export const PERIOD_MONTHS = { NONE: null, MONTHLY: 1, QUARTERLY: 3, ANNUAL: 12 };

/** Number of periods a recurring line item has between its months (the last may be shorter). */
export function periodCount(start, end, recurrence) {
  const length = PERIOD_MONTHS[recurrence];
  if (!length) return 1;
  return Math.ceil(monthCount(start, end) / length);
}

/** Whole days from now to the end of the month (its last instant, UTC); negative once over. */
export function daysToEndOfMonth(month) {
  const [year, number] = month.split("-").map(Number);
  return Math.ceil((Date.UTC(year, number, 1) - Date.now()) / 86_400_000);
}

const NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** "2026-07" → "Jul 2026" */
export function monthLabel(month) {
  if (!isMonth(month)) return month ?? "—";
  const [year, number] = month.split("-");
  return `${NAMES[Number(number) - 1]} ${year}`;
}

/** "2026-11-23T05:55:12Z" → "2026-11-23 05:55 UTC" */
export function formatTimestamp(at) {
  if (!at) return "—";
  return `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
}
