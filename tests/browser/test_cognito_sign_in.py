"""The deployed console's sign-in: Cognito's hosted UI, authorization code with PKCE.

The browser is given the deployed config.json, and the hosted UI, its token endpoint and the API
are played by routes in the browser, which check what the console sends them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.conftest import Console

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

HOSTED_UI = "https://po-console-test.auth.us-east-1.amazoncognito.com"
CLIENT_ID = "console-client"


def base64_url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def id_token(claims: dict[str, Any]) -> str:
    """A token shaped like Cognito's (the console reads its claims; the API checks the signature)."""
    header = base64_url(json.dumps({"alg": "RS256", "kid": "test"}).encode())
    return f"{header}.{base64_url(json.dumps(claims).encode())}.signature"


def test_sign_in_with_the_hosted_ui_and_pkce_then_sign_out(signed_out_tab: Console):
    page, base_url = signed_out_tab.page, signed_out_tab.base_url
    token = id_token({"email": "ana@example.com", "custom:accountId": "acme", "exp": int(time.time()) + 3600})
    config = {
        "mode": "cognito",
        "apiUrl": f"{base_url}/v1",  # deployed, the API is on the console's origin under its stage
        "region": "us-east-1",
        "userPoolId": "us-east-1_Test",
        "clientId": CLIENT_ID,
        "domain": HOSTED_UI.removeprefix("https://"),
    }
    seen: dict[str, Any] = {}

    def authorize(route: Any) -> None:
        query = {name: values[0] for name, values in parse_qs(urlsplit(route.request.url).query).items()}
        seen["authorize"] = query
        back = f"{query['redirect_uri']}?{urlencode({'code': 'the-code', 'state': query['state']})}"
        route.fulfill(status=302, headers={"Location": back})

    def token_endpoint(route: Any) -> None:
        form = {name: values[0] for name, values in parse_qs(route.request.post_data).items()}
        seen["token"] = form
        route.fulfill(
            status=200,
            headers={"Access-Control-Allow-Origin": "*"},  # Cognito's token endpoint answers browsers
            content_type="application/json",
            body=json.dumps({"id_token": token, "access_token": "access", "expires_in": 3600, "token_type": "Bearer"}),
        )

    def api(route: Any) -> None:
        seen.setdefault("api", []).append((route.request.url, route.request.headers.get("authorization")))
        if route.request.url.endswith("/v1/me"):
            me = {"accountId": "acme", "userId": "sub-1", "email": "ana@example.com", "roles": ["viewer"]}
            me |= {"allowed": ["GET /purchase-orders", "GET /invoices"], "roleFor": {}}
            route.fulfill(status=200, content_type="application/json", body=json.dumps(me))
            return
        route.fulfill(status=200, content_type="application/json", body=json.dumps({"items": [], "nextToken": None}))

    def logout(route: Any) -> None:
        seen["logout"] = {name: values[0] for name, values in parse_qs(urlsplit(route.request.url).query).items()}
        route.fulfill(status=302, headers={"Location": seen["logout"]["logout_uri"]})

    page.route(f"{base_url}/config.json", lambda route: route.fulfill(json=config))
    page.route(f"{HOSTED_UI}/oauth2/authorize?*", authorize)
    page.route(f"{HOSTED_UI}/oauth2/token", token_endpoint)
    page.route(f"{HOSTED_UI}/logout?*", logout)
    page.route(f"{base_url}/v1/**", api)

    signed_out_tab.open("")
    page.get_by_role("button", name="Sign in with your organisation account").click()
    expect(page.get_by_role("button", name="Signed in as ana@example.com (viewer)")).to_be_visible()
    expect(page.get_by_text("No purchase orders yet")).to_be_visible()

    sent = seen["authorize"]
    assert sent["response_type"] == "code"
    assert sent["client_id"] == CLIENT_ID
    assert sent["redirect_uri"] == f"{base_url}/"
    assert sent["code_challenge_method"] == "S256"
    exchanged = seen["token"]
    assert exchanged["grant_type"] == "authorization_code"
    assert exchanged["code"] == "the-code"
    assert exchanged["redirect_uri"] == f"{base_url}/"
    # PKCE: the verifier sent with the code is the one whose hash went to the hosted UI.
    assert base64_url(hashlib.sha256(exchanged["code_verifier"].encode()).digest()) == sent["code_challenge"]
    urls = [url for url, _ in seen["api"]]
    assert urls[0] == f"{base_url}/v1/me"  # who the user is and what the roles allow, first
    assert f"{base_url}/v1/purchase-orders?limit=100" in urls
    assert {authorization for _, authorization in seen["api"]} == {token}  # the ID token, as it is
    assert page.url == f"{base_url}/#/purchase-orders"  # the code is gone from the address bar

    page.get_by_role("button", name="Signed in as ana@example.com (viewer)").click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in with your organisation account")).to_be_visible()
    assert seen["logout"] == {"client_id": CLIENT_ID, "logout_uri": f"{base_url}/"}
    assert page.evaluate("Object.keys(sessionStorage)") == []
