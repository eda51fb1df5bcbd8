"""Hardened XML parsing for e-invoices (no DTDs, entities or network), and reading an element's text."""

from __future__ import annotations

from lxml import etree

from pom.domain.einvoice.terms import document_refused

# EN 16931 documents never need a DTD, and a DTD is how entity bombs and external entities get in: a
# declaration is refused before parsing when the bytes show it (ASCII-compatible or UTF-16), and any
# other encoding's is caught on the parsed tree, which the parser below never expands or fetches.
_DECLARATIONS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_DTD_REFUSED = "declares a DTD or entities, which are refused (e-invoices never need them)"


def _parser() -> etree.XMLParser:
    # A new parser per document: lxml parsers keep state and are not to be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
    )


def parse_xml(body: bytes) -> etree._Element:
    """The root element of a well-formed document without a DTD; ValidationFailed on ``body`` otherwise.

    Parsed from bytes, so the document's own encoding declaration (or BOM) is honoured. Error messages
    give a position, never the document's text.
    """
    if any(marker in body for marker in _DECLARATIONS):
        raise document_refused(_DTD_REFUSED)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise document_refused(f"is not well-formed XML (line {line}, column {column})") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise document_refused(_DTD_REFUSED)
    return root


def text_at(element: etree._Element, path: str, namespaces: dict[str, str]) -> str | None:
    """The stripped text of the first element at ``path``; None when there is none or it is blank."""
    found = element.find(path, namespaces)
    text = (found.text or "").strip() if found is not None else ""
    return text or None
