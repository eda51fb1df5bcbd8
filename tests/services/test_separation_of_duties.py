"""Separation of duties (API.md: users and roles, settings.approval.separateApprover)."""

from __future__ import annotations

import pytest

from pom.core.errors import Forbidden
from pom.domain.audit import Actor
from pom.domain.requests import AccountSettings as SettingsBody
from tests.services.conftest import ACCOUNT, USER, Services

APPROVER = Actor(ACCOUNT, "boss", "boss@example.com", frozenset({"approver"}))


def separated(services: Services) -> None:
    settings = SettingsBody.model_validate({"approval": {"separateApprover": True}}).record()
    services.stores.settings.put(ACCOUNT, settings, "2026-03-01T00:00:00Z")


def test_the_user_who_submitted_cannot_approve_when_duties_are_separated(services: Services):
    services.create_po()
    services.receive("INV-1")
    separated(services)
    submitted = services.invoices.submit(USER, "INV-1", None)
    assert submitted.submittedBy == USER.user_id

    with pytest.raises(Forbidden, match="separateApprover"):
        services.invoices.approve(USER, "INV-1", None)
    approved = services.invoices.approve(APPROVER, "INV-1", None)

    assert approved.approvalStatus == "APPROVED"
    history = services.invoices.history(ACCOUNT, "INV-1", 10, None).items
    assert [(entry["action"], entry["actor"]["userId"]) for entry in history[:2]] == [
        ("APPROVED", "boss"),
        ("SUBMITTED", "ana"),
    ]


def test_without_separation_the_submitter_may_approve(services: Services):
    services.create_po()
    services.receive("INV-1")
    services.invoices.submit(USER, "INV-1", None)

    assert services.invoices.approve(USER, "INV-1", None).approvalStatus == "APPROVED"
