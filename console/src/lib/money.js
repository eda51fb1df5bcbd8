// Money without floating point: amounts are the API's decimal strings, added and compared as
// BigInt counts of 1/10,000 (no ISO-4217 currency has more than four minor digits), and shown with
// the currency's own minor digits and thousands separators.

const SCALE = 4;
const FACTOR = 10n ** BigInt(SCALE);

/** "1234.56" → 12345600n; null for null/undefined/"". */
export function toUnits(amount) {
  if (amount === null || amount === undefined || amount === "") return null;
  const text = String(amount).trim();
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^[-+]/, "").split(".");
  const units = BigInt(whole || "0") * FACTOR + BigInt((fraction + "0000").slice(0, SCALE) || "0");
  return negative ? -units : units;
}

const digitsCache = new Map();
/** The currency's minor digits (USD 2, JPY 0, BHD 3). */
export function minorDigits(currency) {
  if (!currency) return 2;
  if (!digitsCache.has(currency)) {
    let digits = 2;
    try {
      digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digitsCache.get(currency);
}

/** 12345600n → "1234.56" (digits fraction digits). */
export function fromUnits(units, digits = 2) {
  const negative = units < 0n;
  const absolute = negative ? -units : units;
  const whole = absolute / FACTOR;
  const fraction = (absolute % FACTOR).toString().padStart(SCALE, "0").slice(0, digits);
  return `${negative ? "-" : ""}${whole}${digits ? `.${fraction}` : ""}`;
}

function group(whole) {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * "4500" / 45000000n → "4,500.00 USD". signDisplay "always" writes "+" too; negatives use "−".
 * currency null leaves the code out.
 */
export function formatMoney(amount, currency, { signDisplay = "auto", withCode = true } = {}) {
  const units = typeof amount === "bigint" ? amount : toUnits(amount);
  if (units === null) return "—";
  const text = fromUnits(units, minorDigits(currency));
  const negative = text.startsWith("-");
  const [whole, fraction] = text.replace(/^-/, "").split(".");
  const sign = negative ? "−" : signDisplay === "always" && units > 0n ? "+" : "";
  const number = `${sign}${group(whole)}${fraction === undefined ? "" : `.${fraction}`}`;
  return currency && withCode ? `${number} ${currency}` : number;
}

export function sumUnits(amounts) {
  return amounts.reduce((total, amount) => total + (toUnits(amount) ?? 0n), 0n);
}

/** part / whole as a percentage (a display figure only); null when whole is 0. */
export function percentOf(part, whole) {
  const p = typeof part === "bigint" ? part : toUnits(part);
  const w = typeof whole === "bigint" ? whole : toUnits(whole);
  if (p === null || w === null || w === 0n) return null;
  return Number((p * 10000n) / w) / 100;
}

export function compareAmounts(a, b) {
  const x = toUnits(a);
  const y = toUnits(b);
  if (x === null && y === null) return 0;
  if (x === null) return -1;
  if (y === null) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const SYMBOLS = /[$€£¥₹]|US\$|[A-Z]{3}/g;

/**
 * What a person types as an amount, as the API takes it: "12,500.00", "$12,500", "12 500.00 USD"
 * and "1.234,56" all work. Returns {value} (a plain decimal string) or {error} in words.
 */
export function parseAmountInput(text, currency) {
  let cleaned = String(text ?? "").replace(SYMBOLS, "").replace(/[\s\u00a0\u202f']/g, "");
  if (!cleaned) return { error: "Enter an amount." };
  if (cleaned.startsWith("-")) return { error: "The amount cannot be negative." };
  const commas = (cleaned.match(/,/g) ?? []).length;
  const dots = (cleaned.match(/\./g) ?? []).length;
  if (commas && dots) {
    // the last separator is the decimal one: "12,500.00" or "12.500,00"
    cleaned =
      cleaned.lastIndexOf(",") > cleaned.lastIndexOf(".")
        ? cleaned.replace(/\./g, "").replace(",", ".")
        : cleaned.replace(/,/g, "");
  } else if (commas) {
    cleaned = /^\d{1,3}(,\d{3})+$/.test(cleaned) ? cleaned.replace(/,/g, "") : commas === 1 ? cleaned.replace(",", ".") : cleaned;
  } else if (dots > 1 && /^\d{1,3}(\.\d{3})+$/.test(cleaned)) {
    cleaned = cleaned.replace(/\./g, "");
  }
  if (!/^\d+(\.\d+)?$/.test(cleaned)) return { error: "Enter an amount such as 12,500.00." };
  const digits = minorDigits(currency);
  const fraction = cleaned.split(".")[1] ?? "";
  if (fraction.length > digits) {
    return {
      error: digits
        ? `${currency ?? "This currency"} amounts have at most ${digits} decimal places.`
        : `${currency} amounts have no decimal places.`,
    };
  }
  return { value: cleaned.replace(/^0+(?=\d)/, "") };
}
