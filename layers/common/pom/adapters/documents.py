"""The invoice bucket: original documents, as uploaded, and links to download them."""

from __future__ import annotations

from typing import Any

import boto3

LINK_SECONDS = 300


class DocumentStore:
    def __init__(self, bucket: str, client: Any = None):
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("s3")
        return self._client

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def link(self, key: str) -> str:
        """A pre-signed GET of the original, valid for ``LINK_SECONDS``."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=LINK_SECONDS
        )
