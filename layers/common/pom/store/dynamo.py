"""The one DynamoDB helper every store uses: the client, the codec, paging tokens, batch reads,
conditional writes and transactions whose cancellations are told apart by item.

Every ``ClientError`` the stores expect is decoded here and nowhere else: a failed condition
becomes ``False`` (a conditional write) or a ``Cancelled`` naming the items whose condition failed
(a transaction); anything else (throttling, a network fault) propagates for the caller's retry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, NamedTuple

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pom.core import page_tokens
from pom.store.keys import account_pk, key
from pom.store.ports import Page

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
KEY_ATTRIBUTES = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI3PK", "GSI4PK", "GSI4SK")
LIST_SORT_KEY = "GSI1SK"  # the sort key of the three list indexes
_CONDITION_FAILED = "ConditionalCheckFailedException"
_BATCH_LIMIT = 100
_FILTERED_ROUNDS = 4  # an index page with filters reads at most this many pages of keys


def to_item(document: dict[str, Any]) -> dict[str, Any]:
    return {name: _serializer.serialize(value) for name, value in document.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """The item's attributes without its keys."""
    return {name: _deserializer.deserialize(value) for name, value in item.items() if name not in KEY_ATTRIBUTES}


class Write(NamedTuple):
    """One action of a transaction; ``tag`` names it in a cancellation (None: not worth telling)."""

    action: dict[str, Any]  # {"Put": {...}} | {"Update": {...}} | {"Delete": {...}} | {"ConditionCheck": {...}}
    tag: Hashable | None = None


class Cancelled(Exception):
    """A transaction was cancelled: ``failed`` maps the tag of each tagged item whose condition failed
    to the item as it stands (None: it does not exist); empty when it lost to a concurrent
    transaction or only an untagged condition failed."""

    def __init__(self, failed: dict[Hashable, dict[str, Any] | None]):
        super().__init__(f"transaction cancelled: {sorted(map(str, failed)) or 'conflict'}")
        self.failed = failed

    def item(self, tag: Hashable) -> dict[str, Any] | None:
        return self.failed.get(tag)


class Table:
    """The table and a client created on first use (a cold start that fails validation never pays for it)."""

    def __init__(self, name: str, client: Any = None):
        self.name = name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("dynamodb")
        return self._client

    def get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        return self.client.get_item(TableName=self.name, Key=key, ConsistentRead=True).get("Item")

    def put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.name, Item=item)

    def delete(self, key: dict[str, Any]) -> None:
        self.client.delete_item(TableName=self.name, Key=key)

    def update(self, **params: Any) -> dict[str, Any]:
        return self.client.update_item(TableName=self.name, **params)

    def write_if(self, operation: str, **params: Any) -> tuple[bool, dict[str, Any]]:
        """A conditional ``put_item``/``update_item``/``delete_item``: (True, response), or (False,
        the item as it stands, when ``ReturnValuesOnConditionCheckFailure`` asked for it)."""
        try:
            return True, getattr(self.client, operation)(TableName=self.name, **params)
        except ClientError as error:
            if error.response["Error"]["Code"] != _CONDITION_FAILED:
                raise
            return False, error.response.get("Item") or {}

    def transact(self, writes: Sequence[Write]) -> None:
        """One TransactWriteItems; raises ``Cancelled`` with the failed items by tag."""
        items = [{kind: {"TableName": self.name, **body}} for write in writes for kind, body in write.action.items()]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            failed = {
                write.tag: reason.get("Item")
                for write, reason in zip(writes, reasons, strict=False)
                if reason.get("Code") == "ConditionalCheckFailed" and write.tag is not None
            }
            raise Cancelled(failed) from None

    def query_all(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query returns, page after page."""
        start = None
        while True:
            response = self.client.query(
                TableName=self.name, **query, **({"ExclusiveStartKey": start} if start else {})
            )
            yield from response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    def batch_get(self, keys: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items by key, strongly consistent, 100 keys per BatchGetItem; unprocessed keys are asked
        again after a growing pause (DynamoDB returns them when throttled)."""
        items: list[dict[str, Any]] = []
        for offset in range(0, len(keys), _BATCH_LIMIT):
            pending: dict[str, Any] = {
                self.name: {"Keys": list(keys[offset : offset + _BATCH_LIMIT]), "ConsistentRead": True}
            }
            for attempt in range(10):
                if attempt:
                    time.sleep(min(0.05 * 2**attempt, 1.0))
                response = self.client.batch_get_item(RequestItems=pending)
                items += response.get("Responses", {}).get(self.name, [])
                pending = response.get("UnprocessedKeys") or {}
                if not pending:
                    break
            else:
                raise RuntimeError("BatchGetItem kept returning unprocessed keys")
        return items

    def batch_put(self, items: Sequence[dict[str, Any]]) -> None:
        """Unconditional puts, 25 per BatchWriteItem (unprocessed items written again)."""
        for offset in range(0, len(items), 25):
            pending = {self.name: [{"PutRequest": {"Item": item}} for item in items[offset : offset + 25]]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def page(
        self, account_id: str, index: str | None, partition: str, limit: int, token: str | None,
        *, filters: dict[str, str] | None = None, sk_prefix: str | None = None,
        decode: Callable[[dict[str, Any]], dict[str, Any]] = from_item,
    ) -> Page:  # fmt: skip
        """One page of a partition, newest first: one Query, and for an index (they keep only keys,
        so that a write changing no key rewrites no index) one BatchGetItem of the page's items.
        ``filters`` (attribute = value) narrow what is returned, not what is read: on an index, up to
        ``_FILTERED_ROUNDS`` pages of keys are read to fill the page (fewer items and a ``nextToken``
        when the filter keeps few of them); ``sk_prefix`` (base table only) narrows the partition
        to sort keys that begin with it; ``decode`` reads an item (with its keys) as the store's model does."""
        if index is None:
            items, page = self._query_page(
                account_id, None, partition, limit, token, filters=filters, sk_prefix=sk_prefix
            )
            return Page([decode(item) for item in items], page.next_token, page.resume)
        wanted = {name: {"S": value} for name, value in (filters or {}).items()}
        kept: list[tuple[dict[str, Any], str]] = []
        for _ in range(_FILTERED_ROUNDS if wanted else 1):
            page = self.page_keys(account_id, index, partition, limit, token)
            found = {(item["PK"]["S"], item["SK"]["S"]): item for item in self.batch_get([key(*k) for k in page.items])}
            kept += [
                (found[k], resume)
                for k, resume in zip(page.items, page.resume, strict=True)
                if k in found and all(found[k].get(n) == v for n, v in wanted.items())
            ]
            token = page.next_token
            if len(kept) >= limit or token is None:
                break
        if len(kept) > limit:
            kept, token = kept[:limit], kept[limit - 1][1]
        return Page([decode(item) for item, _ in kept], token, [resume for _, resume in kept])

    def page_keys(self, account_id: str, index: str, partition: str, limit: int, token: str | None) -> Page:
        """One page of an index's partition, newest first: the (PK, SK) of its items, one Query."""
        _, page = self._query_page(account_id, index, partition, limit, token)
        return page

    def _query_page(
        self, account_id: str, index: str | None, partition: str, limit: int, token: str | None,
        *, filters: dict[str, str] | None = None, sk_prefix: str | None = None,
    ) -> tuple[list[dict[str, Any]], Page]:  # fmt: skip
        """The Query's raw items, and a page of their (PK, SK) with the tokens that resume after each."""
        partition_key = f"{index}PK" if index else "PK"
        query: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": partition_key},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if sk_prefix is not None:
            query["KeyConditionExpression"] += " AND begins_with(#sk, :prefix)"
            query["ExpressionAttributeNames"]["#sk"] = "SK"
            query["ExpressionAttributeValues"][":prefix"] = {"S": sk_prefix}
        if index:
            query["IndexName"] = index
        else:
            query["ConsistentRead"] = True
        for number, (name, value) in enumerate(sorted((filters or {}).items())):
            query["ExpressionAttributeNames"][f"#f{number}"] = name
            query["ExpressionAttributeValues"][f":f{number}"] = {"S": value}
        if filters:
            query["FilterExpression"] = " AND ".join(f"#f{n} = :f{n}" for n in range(len(filters)))
        start = _decode_token(token, (partition_key, partition), account_id)
        if start:
            expected = {"PK", "SK"} | ({partition_key, LIST_SORT_KEY} if index else set())
            if set(start) != expected or not start["SK"]["S"].startswith(sk_prefix or ""):
                raise page_tokens.bad_token()
            query["ExclusiveStartKey"] = start
        response = self.client.query(**query)
        items = response.get("Items", [])
        key_names = ("PK", "SK", *((partition_key, LIST_SORT_KEY) if index else ()))
        resume = [_encode_token({name: item[name] for name in key_names}) for item in items]
        keys_of = [(item["PK"]["S"], item["SK"]["S"]) for item in items]
        return items, Page(keys_of, _encode_token(response.get("LastEvaluatedKey")), resume)  # type: ignore[arg-type]


def _encode_token(last_key: dict[str, Any] | None) -> str | None:
    return page_tokens.encode({name: value["S"] for name, value in last_key.items()}) if last_key else None


def _decode_token(token: str | None, partition: tuple[str, str], account_id: str) -> dict[str, Any] | None:
    """The start key a token encodes, but only if it lies in the very partition being queried.

    A token is the caller's input: a forged one must not reach another account's items.
    """
    if token is None:
        return None
    plain = page_tokens.decode(token)
    index_pk, expected = partition
    valid = (
        isinstance(plain, dict)
        and all(isinstance(value, str) for value in plain.values())
        and plain.get(index_pk) == expected
        and plain.get("PK", "").startswith(account_pk(account_id))
    )
    if not valid:
        raise page_tokens.bad_token()
    return {name: {"S": value} for name, value in plain.items()}
