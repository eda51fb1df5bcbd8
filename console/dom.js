// Building the page: elements from data (text is always text, never parsed as HTML), formatting,
// and the small widgets every view shares.

let nextId = 0;

/** A unique element id, for label/for and aria-describedby. */
export function uniqueId(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * h("button", {type: "button", onClick: f}, "Save"): attributes are set as attributes (true → "",
 * false/null/undefined → left out), on* functions become listeners, children are nodes or text.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function" && name.startsWith("on")) {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  element.append(
    ...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false),
  );
  return element;
}

/** Says something to screen-reader users (and shows it in the status bar). */
export function announce(message) {
  const announcer = document.getElementById("announcer");
  announcer.textContent = "";
  // A fresh text node after clearing makes screen readers repeat an identical message.
  requestAnimationFrame(() => {
    announcer.textContent = message;
  });
}

/** "4500.00" → "4,500.00 USD". Amounts stay strings: the API's decimals are never turned into floats. */
export function formatMoney(amount, currency) {
  if (amount === null || amount === undefined) return "—";
  const negative = amount.startsWith("-");
  const [whole, fraction] = amount.replace(/^-/, "").split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const number = `${negative ? "−" : ""}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
  return currency ? `${number} ${currency}` : number;
}

/** Whole days from now to the end of the month "YYYY-MM" (its last instant, UTC); negative once over. */
function daysToEndOfMonth(month) {
  const [year, monthNumber] = month.split("-").map(Number);
  const end = Date.UTC(year, monthNumber, 1); // month index monthNumber is the next month (0-based)
  return Math.ceil((end - Date.now()) / 86_400_000);
}

export function describeDaysToExpiry(month) {
  const days = daysToEndOfMonth(month);
  if (days > 1) return `${days} days`;
  if (days === 1) return "1 day";
  return "ended";
}

/**
 * The share of the total (balance + invoiced) still available, for a bar: null without balance
 * tracking. A display ratio only; the amounts themselves stay strings.
 */
function remainingShare(balance, invoiced) {
  if (balance === null || invoiced === null) return null;
  const total = Number(balance) + Number(invoiced);
  if (total <= 0) return null;
  return Math.min(1, Math.max(0, Number(balance) / total));
}

/** A balance with a bar showing how much of the total is left. */
export function balanceBar(balance, invoiced, currency) {
  const share = remainingShare(balance, invoiced);
  if (share === null) return h("span", {}, formatMoney(balance, currency));
  const percent = Math.round(share * 100);
  return h(
    "span",
    { class: "balance" },
    h("meter", {
      min: 0,
      max: 1,
      low: 0.25,
      high: 0.5,
      optimum: 1,
      value: share,
      "aria-label": `${percent}% of the total left`,
      title: `${percent}% left`,
    }),
    h("span", {}, formatMoney(balance, currency)),
  );
}

export function statusBadge(status) {
  return h("span", { class: `badge badge-${status.toLowerCase()}` }, status);
}

/** A table that scrolls sideways on narrow screens; focusable so keyboard users can scroll it. */
export function scrollingTable(label, headers, rows) {
  return h(
    "div",
    { class: "table-scroll", role: "region", "aria-label": label, tabindex: 0 },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, label),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headers.map((header) => h("th", { scope: "col" }, header)),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

/** A definition list from [term, value] pairs. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

export function formatAddress(address) {
  if (!address) return "—";
  const place = [address.postalCode, address.city, address.region].filter(Boolean).join(" ");
  return [address.name, address.line1, address.line2, place, address.country].filter(Boolean).join(", ");
}

/** The hash route of a purchase order (ids may hold "#", "%" or spaces). */
export function poHref(poId) {
  return `#/purchase-orders/${encodeURIComponent(poId)}`;
}

/**
 * Asks for confirmation in a modal <dialog>; resolves true when the user confirms. The dialog
 * returns focus to the element that opened it.
 */
export function confirmDialog({ title, message, confirmLabel }) {
  return new Promise((resolve) => {
    const titleId = uniqueId("dialog-title");
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": titleId },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: titleId }, title),
        h("p", {}, message),
        h(
          "div",
          { class: "actions" },
          h("button", { value: "cancel", autofocus: true }, "Cancel"),
          h("button", { value: "confirm", class: "danger" }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "confirm");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A list that pages with the API's nextToken: Previous/Next buttons and a page number.
 * load(token) returns a page ({items, nextToken}); render(items) returns the node to show.
 */
export function pagedList({ label, load, render, onError }) {
  const tokens = [null]; // tokens[i] fetches page i
  let index = 0;
  const content = h("div", { "aria-busy": "true" });
  const previous = h("button", { type: "button", disabled: true }, "Previous");
  const next = h("button", { type: "button", disabled: true }, "Next");
  const position = h("span", { class: "page-number", "aria-live": "polite" });
  const pager = h("nav", { class: "pager", "aria-label": `${label} pages`, hidden: true }, previous, position, next);
  const container = h("div", { class: "paged" }, content, pager);

  async function show(pageIndex) {
    content.setAttribute("aria-busy", "true");
    previous.disabled = true;
    next.disabled = true;
    try {
      const page = await load(tokens[pageIndex]);
      index = pageIndex;
      tokens[index + 1] = page.nextToken;
      content.replaceChildren(render(page.items));
      position.textContent = `Page ${index + 1}`;
    } catch (error) {
      onError(error);
    } finally {
      previous.disabled = index === 0;
      next.disabled = !tokens[index + 1];
      pager.hidden = previous.disabled && next.disabled; // a single page needs no paging
      content.setAttribute("aria-busy", "false");
    }
  }
  previous.addEventListener("click", () => show(index - 1));
  next.addEventListener("click", () => show(index + 1));
  return { element: container, reload: () => show(index), first: () => show(0) };
}
