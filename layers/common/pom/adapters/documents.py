"""The invoice bucket: original documents, as uploaded, and links to download them."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

LINK_SECONDS = 300
# S3's answers for an object, or a version of it, that is not there. A role without s3:ListBucket
# (none of the functions has it) is told AccessDenied instead of NoSuchKey for a missing key; the
# functions are granted the reads they make, so there AccessDenied means the object is gone.
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404", "AccessDenied"})


def s3_client() -> Any:
    """An S3 client whose pre-signed links work in any region: signed with SigV4 (the SDK would sign
    them with SigV2, which regions opened since 2014 refuse) for the function's region, and addressed
    to that region's host of the bucket, ``<bucket>.s3.<region>.amazonaws.com`` (the global
    ``s3.amazonaws.com`` answers for other regions' buckets with a redirect, and a link signs its host).

    An endpoint set in the environment (``AWS_ENDPOINT_URL``: local mode's emulator) is addressed by
    path, as a bucket's name cannot go in front of an IP address."""
    emulated = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if emulated else "virtual", "us_east_1_regional_endpoint": "regional"},
    )
    return boto3.client("s3", region_name=os.environ.get("AWS_REGION") or None, config=config)


class DocumentGone(Exception):
    """The object, or the version asked for, no longer exists."""


class DocumentStore:
    def __init__(self, bucket: str, client: Any = None):
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def put(self, key: str, body: bytes, content_type: str = "application/json") -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def get(self, key: str, version_id: str | None = None) -> bytes:
        """The object's content: the version ``version_id`` or, without one, the latest.

        Raises ``DocumentGone`` when it no longer exists; other S3 errors pass through."""
        version = {"VersionId": version_id} if version_id else {}
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, **version)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _GONE:
                raise DocumentGone(key) from error
            raise
        return response["Body"].read()

    def link(self, key: str) -> str:
        """A pre-signed GET of the original, valid for ``LINK_SECONDS``."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=LINK_SECONDS
        )
