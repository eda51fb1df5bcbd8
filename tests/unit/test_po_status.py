"""Every status move a user can ask for, from every status, against the contract (API.md: purchase
order status and POST .../status), and what the scheduled job and a PUT do."""

from __future__ import annotations

import itertools

import pytest

from pom.domain import po_status

# From the contract: a user suspends, activates and closes; ACTIVE reopens a CLOSED PO that has not
# expired; an EXPIRED or SUSPENDED_EXPIRED PO is never activated (extend its expiration month).
ALLOWED = {
    ("ACTIVE", "SUSPENDED"),
    ("ACTIVE", "CLOSED"),
    ("SUSPENDED", "ACTIVE"),
    ("SUSPENDED", "CLOSED"),
    ("EXPIRED", "CLOSED"),
    ("SUSPENDED_EXPIRED", "CLOSED"),
    ("CLOSED", "ACTIVE"),  # only while its expiration month is not over
}
REQUESTS = ("ACTIVE", "SUSPENDED", "CLOSED")


@pytest.mark.parametrize(
    ("current", "requested", "expired"), list(itertools.product(po_status.STATUSES, REQUESTS, (False, True)))
)
def test_every_user_move(current: str, requested: str, expired: bool):
    refusal = po_status.user_change_refusal(current, requested, expired=expired)
    allowed = current == requested or ((current, requested) in ALLOWED and not (current == "CLOSED" and expired))
    assert (refusal is None) == allowed, refusal


def test_the_job_keeps_the_fact_that_a_user_had_suspended_the_po():
    assert po_status.EXPIRED_FROM == {"ACTIVE": "EXPIRED", "SUSPENDED": "SUSPENDED_EXPIRED"}
    assert set(po_status.OPEN_STATUSES) == set(po_status.EXPIRED_FROM)


@pytest.mark.parametrize(
    ("current", "expected_if_extended"),
    [("EXPIRED", "ACTIVE"), ("SUSPENDED_EXPIRED", "SUSPENDED"), ("ACTIVE", "ACTIVE"), ("CLOSED", "CLOSED")],
)
def test_extending_the_expiration_month_gives_back_the_status_it_had(current: str, expected_if_extended: str):
    assert po_status.after_expiration_moved(current, expired=False) == expected_if_extended
    assert po_status.after_expiration_moved(current, expired=True) == current
