"""Connection trouble in a real browser: offline check-ins, token expiry, a server restart."""

import base64
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import Page, Request, Route, expect

from accounts.models import User
from accounts.tests.factories import UserFactory
from checkins.models import CheckIn
from checkins.services import checkin_submit
from groups.models import Group, Role
from groups.tests.factories import GroupFactory, MembershipFactory
from web.tests.conftest import LiveServer, screenshot
from web.tests.helpers import fill_check_in, sign_in, wait_live

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def friends() -> tuple[Group, User, User]:
    alice, bob = UserFactory.create(username="alice"), UserFactory.create(username="bob")
    group = GroupFactory.create(name="Runners", created_by=alice, member_count=2)
    MembershipFactory.create(group=group, user=alice, role=Role.ADMIN)
    MembershipFactory.create(group=group, user=bob)
    return group, alice, bob


def in_thread(fn: Callable[[], Any]) -> Any:
    """Run a service call in a thread of its own: Playwright's loop runs in this one,
    and the call publishes its live event through async code."""

    def run() -> Any:
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_a_check_in_made_offline_is_stored_once_when_back_online_and_reaches_friends_live(new_page) -> None:
    group, _alice, bob = friends()
    alice_page, bob_page = new_page(), new_page(phone=True)
    sign_in(alice_page, "alice")
    alice_page.goto(f"/groups/{group.pk}")
    wait_live(alice_page)
    sign_in(bob_page, "bob")
    bob_page.goto(f"/checkin?group={group.pk}")
    expect(bob_page.locator("#score")).to_have_text("10")

    bob_page.context.set_offline(True)
    fill_check_in(bob_page, (6, 6, 6, 3))
    bob_page.get_by_role("button", name="Submit check-in").click()
    expect(bob_page.locator("#checkin-form")).to_contain_text("You are offline")
    expect(bob_page.locator(".queued.pending")).to_have_count(1)
    expect(bob_page.locator("#pending")).to_have_text("1 check-in waiting to send")
    screenshot(bob_page, "checkin-pending-offline")
    assert not CheckIn.objects.filter(user=bob).exists()

    bob_page.context.set_offline(False)
    expect(alice_page.locator("[data-checkin]", has_text="bob").locator(".score")).to_have_text("15")
    expect(bob_page.locator(".queued")).to_have_count(0)
    expect(bob_page.locator("#pending")).to_have_text("")
    assert CheckIn.objects.filter(user=bob, group=group).count() == 1


def test_a_duplicate_made_offline_is_shown_as_a_conflict_not_lost(new_page) -> None:
    group, _alice, bob = friends()
    page = new_page()
    sign_in(page, "bob")
    page.goto(f"/checkin?group={group.pk}")
    expect(page.locator("#score")).to_have_text("10")
    page.context.set_offline(True)
    fill_check_in(page, (5, 5, 5, 5))
    page.get_by_role("button", name="Submit check-in").click()
    expect(page.locator(".queued.pending")).to_have_count(1)
    # Meanwhile the same period got a check-in from another device.
    in_thread(lambda: checkin_submit(user=bob, group_id=group.pk, productive=7, satisfied=7, body=7, care=7))

    page.context.set_offline(False)
    conflict = page.locator(".queued.conflict")
    expect(conflict).to_contain_text("not saved")
    assert CheckIn.objects.filter(user=bob).count() == 1
    conflict.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".queued")).to_have_count(0)


def session_tokens(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("() => JSON.parse(localStorage.getItem('hucares.session'))"))


def store_access_token(page: Page, token: str) -> None:
    page.evaluate(
        """(token) => {
            const session = JSON.parse(localStorage.getItem('hucares.session'));
            localStorage.setItem('hucares.session', JSON.stringify({...session, accessToken: token}));
        }""",
        token,
    )


def test_an_access_token_that_dies_mid_session_is_refreshed_silently_once(new_page) -> None:
    friends()
    page = new_page()
    sign_in(page, "alice")
    refreshes: list[Request] = []

    def record(request: Request) -> None:
        if "/api/v1/auth/refresh" in request.url:
            refreshes.append(request)

    page.on("request", record)

    # The server rejects the token (as after a key rotation): the history page's
    # two requests both get 401 TOKEN_INVALID and share one refresh.
    header, payload, _signature = session_tokens(page)["accessToken"].split(".")
    store_access_token(
        page, f"{header}.{payload}.{base64.urlsafe_b64encode(b'not-the-signature').decode().rstrip('=')}"
    )
    page.get_by_role("link", name="History").click()
    expect(page.get_by_text("No check-ins yet.")).to_be_visible()
    expect(page.locator("#main .error")).to_have_count(0)
    assert len(refreshes) == 1
    renewed = session_tokens(page)["accessToken"]
    assert renewed.split(".")[2] != base64.urlsafe_b64encode(b"not-the-signature").decode().rstrip("=")

    # The token's clock runs out: the SDK renews it before sending.
    claims = jwt.decode(renewed, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 5
    store_access_token(page, jwt.encode(claims, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"))
    page.get_by_role("link", name="Insights").click()
    expect(page.locator("#insights")).not_to_contain_text("Loading")
    expect(page.locator("#main .error")).to_have_count(0)
    assert len(refreshes) == 2


def test_a_reused_refresh_token_signs_out_with_a_message(new_page) -> None:
    friends()
    page = new_page()
    sign_in(page, "alice")
    stale = session_tokens(page)
    header, payload, _ = stale["accessToken"].split(".")
    # Refresh twice behind the page's back: the page's refresh token is now two
    # rotations old, past the reuse interval's grace (which covers only the
    # token retired last), so presenting it is a reuse.
    refresh_token = stale["refreshToken"]
    for _ in range(2):
        response = page.request.post(
            "/api/v1/auth/refresh",
            data=json.dumps({"refreshToken": refresh_token}),
            headers={"Content-Type": "application/json"},
        )
        assert response.status == 200
        refresh_token = response.json()["data"]["refreshToken"]
    store_access_token(page, f"{header}.{payload}.bad")
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#banner")).to_contain_text("sign in again")


def test_after_a_server_restart_the_page_reconnects_and_catches_up(new_page, daphne_server: LiveServer) -> None:
    group, alice, _bob = friends()
    page = new_page()
    sign_in(page, "bob")
    page.goto(f"/groups/{group.pk}")
    wait_live(page)
    expect(page.locator("#group-checkins")).to_contain_text("Nobody has checked in")

    daphne_server.stop()
    expect(page.locator("#live-state")).not_to_have_text("Live")
    # What happens while the page cannot hear about it.
    in_thread(lambda: checkin_submit(user=alice, group_id=group.pk, productive=9, satisfied=8, body=7, care=1))
    daphne_server.start()

    expect(page.locator("#live-state")).to_have_text("Live", timeout=30_000)
    expect(page.locator("[data-checkin]", has_text="alice").locator(".score")).to_have_text("23")


def test_a_check_in_whose_answer_was_lost_is_resent_with_its_key_and_stored_once(new_page) -> None:
    group, _alice, bob = friends()
    page = new_page()
    sign_in(page, "bob")
    page.goto(f"/checkin?group={group.pk}")
    expect(page.locator("#score")).to_have_text("10")
    keys: list[str] = []
    stored: list[int] = []

    def lose_the_answer(route: Route) -> None:
        # The server stores the check-in; the browser never hears back.
        keys.append(route.request.headers["idempotency-key"])
        stored.append(route.fetch().status)
        route.abort("connectionreset")

    page.route("**/api/v1/checkins", lose_the_answer)
    fill_check_in(page, (4, 4, 4, 4))
    page.get_by_role("button", name="Submit check-in").click()
    # The answer never came: kept as pending, to be sent again.
    expect(page.locator("#checkin-form")).to_contain_text("saved on this device")
    expect(page.locator(".queued.pending")).to_have_count(1)
    assert stored == [201]
    assert CheckIn.objects.filter(user=bob).count() == 1
    page.unroute("**/api/v1/checkins")

    with page.expect_response("**/api/v1/checkins") as answer:
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert answer.value.status == 201
    assert answer.value.headers.get("idempotent-replayed") == "true"
    assert answer.value.request.headers["idempotency-key"] == keys[0]
    expect(page.locator(".queued")).to_have_count(0)
    assert CheckIn.objects.filter(user=bob).count() == 1
