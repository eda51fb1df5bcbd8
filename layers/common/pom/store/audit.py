"""PO audit entries in DynamoDB: a partition per PO, entries never edited, outliving the PO."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from pom.core import jsonio
from pom.domain.audit import Actor, AuditEvent
from pom.store import keys
from pom.store.dynamo import Write, to_item


def audit_writes(po_key: tuple[str, str], actor: Actor, at: str, events: Sequence[AuditEvent]) -> list[Write]:
    """One Put per audit event; the SK orders them by time and never collides (random suffix)."""
    account_id, po_id = po_key
    suffix = secrets.token_hex(4)
    return [
        Write(
            {
                "Put": {
                    "Item": to_item(
                        {
                            "PK": keys.history_pk(account_id, po_id),
                            "SK": f"{at}#{index:02d}#{suffix}",
                            "entity": "AUDIT",
                            "at": at,
                            "actor": actor.name,
                            "action": event.action,
                            "details": jsonio.dumps(event.details),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            }
        )
        for index, event in enumerate(events)
    ]
