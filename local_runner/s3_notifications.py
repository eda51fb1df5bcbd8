"""S3 event records as AWS writes them, for the emulator (moto 5.2.5, pinned).

In a versioned bucket AWS puts the object's ``versionId`` in each record (``s3.object.versionId``),
so that a consumer reads the version the event is about; moto leaves it out. Here it is added.
Applied once, by ``local_runner.emulator``, for local mode and the tests alike.
"""

from __future__ import annotations

from typing import Any

from moto.s3 import notifications

_moto_s3_event = notifications._get_s3_event


def _s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, list[dict[str, Any]]]:
    event = _moto_s3_event(event_name, bucket, key, notification_id)
    if bucket.is_versioned:
        for record in event["Records"]:
            record["s3"]["object"]["versionId"] = key.version_id
    return event


def install() -> None:
    notifications._get_s3_event = _s3_event  # send_event looks it up in its module at each call
