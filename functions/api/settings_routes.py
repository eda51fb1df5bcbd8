"""Routes of ``/settings``: the account's defaults, matching rules and notification settings."""

from __future__ import annotations

from typing import Annotated

from api_powertools import Router
from api_support import actor_of, documented, json_response, service
from aws_lambda_powertools.event_handler.openapi.params import Body

from pom.domain.purchase_orders import settings_view
from pom.domain.requests import AccountSettings

router = Router()
TAGS = ["Settings"]


@router.get("/settings", tags=TAGS, responses=documented(200, AccountSettings))
def get_settings():
    account_id = actor_of(router.current_event).account_id
    return json_response(settings_view(service.get_settings(account_id), account_id))


@router.put("/settings", tags=TAGS, responses=documented(200, AccountSettings))
def put_settings(body: Annotated[AccountSettings, Body()]):
    account_id = actor_of(router.current_event).account_id
    return json_response(settings_view(service.put_settings(account_id, body.record()), account_id))
