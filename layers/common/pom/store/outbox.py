"""Notices in DynamoDB: recorded due with the change that makes them due, then claimed, sent, recorded.

Each step is one conditional UpdateItem; recording a notice sent is one TransactWriteItems with the
PO's ``NOTIFIED`` audit entry.
"""

from __future__ import annotations

from typing import Any

from pom.domain.audit import AuditEvent, system_actor
from pom.domain.notices import Notice
from pom.store import keys
from pom.store.audit import audit_writes
from pom.store.dynamo import Cancelled, Table, Write, from_item, to_item
from pom.store.ports import Claim, NoticeKey, StaleWrite


def notice_due(notice: Notice) -> Write:
    """Records a notice as due, unless it was recorded before: the first rendering and due time are
    kept. It enters the outbox (schedule index); one already sent is taken out again, unsent, by
    the sender (``DynamoOutboxStore.claim``)."""
    sk = keys.notice_sk(notice)
    kept = {
        "dueAt": notice.due_at,
        "to": notice.to,
        "subject": notice.subject,
        "text": notice.text,
        "html": notice.html,
        "threshold": notice.threshold,
        "expirationMonth": notice.expiration_month,
    }
    fixed = {"entity": "NOTICE", "kind": notice.kind, "poId": notice.po_id, "accountId": notice.account_id}
    fixed.update(keys.schedule_keys(notice.account_id, notice.due_at, sk))
    names = {f"#k{n}": name for n, name in enumerate([*kept, *fixed])}
    values = to_item({f":k{n}": value for n, value in enumerate([*kept.values(), *fixed.values()])})
    sets = [f"#k{n} = if_not_exists(#k{n}, :k{n})" for n in range(len(kept))]
    sets += [f"#k{n} = :k{n}" for n in range(len(kept), len(names))]
    return Write(
        {
            "Update": {
                "Key": keys.key(keys.account_pk(notice.account_id), sk),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
    )


class DynamoOutboxStore:
    def __init__(self, table: Table):
        self.table = table

    def key(self, notice: Notice) -> NoticeKey:
        return keys.notice_key(notice)

    def claim(self, key: NoticeKey, now: str, abandoned_before: str) -> Claim:
        """Marks an unsent notice as being sent by this caller (a conditional write), and returns it.

        The claim comes before the SES call, so two senders never both send it. A sender that
        dies between the claim and recording the outcome leaves it claimed, never resent: a notice
        is sent at most once. A claim older than ``abandoned_before`` (longer than any sender
        lives) is such a case: the notice leaves the outbox marked ``inDoubtSince`` (IN_DOUBT)."""
        claimed, response = self.table.write_if(
            "update_item",
            Key=keys.key(*key),
            UpdateExpression="SET claimedAt = :now ADD attempts :one",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(sentAt) "
            "AND attribute_not_exists(claimedAt)",
            ExpressionAttributeValues={":now": {"S": now}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        if claimed:
            return Claim(from_item(response["Attributes"]), "CLAIMED")
        current = response
        if not current:
            return Claim(None, "GONE")
        if "sentAt" in current:
            if "GSI4PK" in current:  # due again after it was sent (a second crossing): not resent
                self._leave_outbox(key, "attribute_exists(sentAt)", {})
            return Claim(None, "SENT")
        claimed_at = current["claimedAt"]["S"]
        if claimed_at < abandoned_before and "GSI4PK" in current:
            values = {":claimed": {"S": claimed_at}, ":now": {"S": now}}
            self._leave_outbox(key, "claimedAt = :claimed", values, "SET inDoubtSince = :now")
            return Claim(None, "IN_DOUBT")
        return Claim(None, "IN_FLIGHT")

    def release(self, key: NoticeKey, claimed_at: str, error: str, *, give_up: bool) -> None:
        """SES refused the notice (it was not sent): it stays in the outbox for a later try, or,
        after too many tries, leaves it as FAILED."""
        expression = "REMOVE claimedAt SET lastError = :error"
        if give_up:
            expression = "REMOVE claimedAt, GSI4PK, GSI4SK SET lastError = :error, failedAt = :claimed"
        released, _ = self.table.write_if(
            "update_item",
            Key=keys.key(*key),
            UpdateExpression=expression,
            ConditionExpression="claimedAt = :claimed",
            ExpressionAttributeValues={":error": {"S": error[:1000]}, ":claimed": {"S": claimed_at}},
        )
        if not released:
            raise StaleWrite(key[1])

    def sent(self, notice: dict[str, Any], key: NoticeKey, sent_at: str, message_id: str) -> None:
        """Records that SES accepted the notice, with the PO's NOTIFIED audit entry, in one transaction."""
        update = {
            "Key": keys.key(*key),
            "UpdateExpression": "SET sentAt = :at, messageId = :id REMOVE GSI4PK, GSI4SK",
            "ConditionExpression": "claimedAt = :claimed",
            "ExpressionAttributeValues": {
                ":at": {"S": sent_at},
                ":id": {"S": message_id},
                ":claimed": {"S": notice["claimedAt"]},
            },
        }
        details = {"kind": notice["kind"], "to": notice["to"], "subject": notice["subject"]}
        if notice.get("threshold") is not None:
            details["threshold"] = notice["threshold"]
        actor = system_actor(notice["accountId"])
        audit = audit_writes(
            keys.history_pk(notice["accountId"], notice["poId"]), actor, sent_at, [AuditEvent("NOTIFIED", details)]
        )
        try:
            self.table.transact([Write({"Update": update}, tag="notice"), *audit])
        except Cancelled:
            raise StaleWrite(key[1]) from None

    def _leave_outbox(self, key: NoticeKey, condition: str, values: dict[str, Any], also: str = "") -> None:
        self.table.write_if(
            "update_item",
            Key=keys.key(*key),
            UpdateExpression=f"REMOVE GSI4PK, GSI4SK {also}".strip(),
            ConditionExpression=condition,
            **({"ExpressionAttributeValues": values} if values else {}),
        )
