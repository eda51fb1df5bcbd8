"""Audit trails in DynamoDB: a partition per PO and per invoice, entries never edited, outliving
what they describe. Entries are written in the transaction of the change they describe; a page of
a trail is one Query."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from pom.core import jsonio
from pom.domain.audit import Actor, AuditEvent, actor_view, system_actor
from pom.store.dynamo import Table, Write, to_item
from pom.store.ports import Page


def audit_writes(
    trail: str, actor: Actor, at: str, events: Sequence[AuditEvent], *, ledger: dict[str, Any] | None = None
) -> list[Write]:
    """One Put per event on the trail (partition) ``trail``; the SK orders them by time and never
    collides (random suffix). ``ledger``: the balance movement the first event records, kept on its
    entry (``DynamoInvoiceStore.ledger_entries`` reads them): one item, not two, per movement. An
    event may name its own time and the service as its actor (``AuditEvent``)."""
    suffix = secrets.token_hex(4)
    return [
        Write(
            {
                "Put": {
                    "Item": to_item(
                        {
                            "PK": trail,
                            "SK": f"{event.at or at}#{index:02d}#{suffix}",
                            "entity": "AUDIT",
                            "at": event.at or at,
                            "actor": (system_actor(actor.account_id) if event.by_service else actor).audit(),
                            "action": event.action,
                            "details": jsonio.dumps(event.details),
                            **({"ledger": ledger} if ledger is not None and index == 0 else {}),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
        for index, event in enumerate(events)
    ]


def trail_page(table: Table, account_id: str, trail: str, limit: int, token: str | None) -> Page:
    """A page of a trail, newest first, as the API shows it."""
    page = table.page(account_id, None, trail, limit, token)
    entries = [
        {
            "at": document["at"][:19] + "Z",
            "actor": actor_view(document["actor"]),
            "action": document["action"],
            "details": jsonio.loads(document["details"]),
        }
        for document in page.items
    ]
    return Page(entries, page.next_token)
