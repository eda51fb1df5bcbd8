// Pieces of an invoice shown on both the invoices page and a purchase order's page.

import { api } from "../api.js";
import { announce, h } from "../dom.js";

/** The original is kept in the format it came in. */
const EXTENSIONS = { JSON: "json", UBL: "xml", CII: "xml", FACTURX: "pdf" };

/**
 * A button that fetches the pre-signed link to the invoice's original document (valid for a few
 * minutes, so it is fetched on demand) and puts the link in its place.
 */
export function originalDocumentButton(invoice) {
  const { invoiceId } = invoice;
  const file = `${invoiceId}.${EXTENSIONS[invoice.sourceFormat] ?? "json"}`;
  const button = h("button", { type: "button", class: "secondary small" }, "Get original");
  button.setAttribute("aria-label", `Get the original document of ${invoiceId}`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { url } = await api.invoiceDocumentLink(invoiceId);
      const link = h(
        "a",
        { href: url, target: "_blank", rel: "noopener noreferrer", download: file },
        `Download ${file}`,
      );
      button.replaceWith(link);
      link.focus();
      announce(`The original of ${invoiceId} is ready to download.`);
    } catch (error) {
      button.disabled = false;
      announce(`Could not get the original of ${invoiceId}: ${error.message}`);
    }
  });
  return button;
}

export function flagList(flags) {
  if (!flags?.length) return h("span", { class: "muted" }, "none");
  return h(
    "ul",
    { class: "flags" },
    flags.map((flag) => h("li", { class: "badge badge-flag" }, flag)),
  );
}
