"""``GET /me``: who the caller is and what their roles allow (the console shows only what they may
do, and which role the rest needs)."""

from __future__ import annotations

from api_powertools import Router
from api_support import actor_of, documented, json_response
from route_roles import ROUTE_ROLES

router = Router()


@router.get("/me", tags=["Users"], responses=documented(200, "Caller"))
def me():
    actor = actor_of(router.current_event)
    return json_response(
        {
            "accountId": actor.account_id,
            "userId": actor.user_id,
            "email": actor.email,
            "roles": sorted(actor.roles),
            "allowed": sorted(f"{method} {path}" for (method, path), role in ROUTE_ROLES.items() if actor.may(role)),
            "roleFor": {f"{method} {path}": role for (method, path), role in sorted(ROUTE_ROLES.items())},
        }
    )
