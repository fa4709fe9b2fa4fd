"""The installed app with no network: the service worker serves the shell and the
last data from a cold load, and a check-in made then is queued and sent once."""

import pytest
from playwright.sync_api import Page, expect

from checkins.models import CheckIn
from web.tests.conftest import LiveServer, screenshot
from web.tests.helpers import fill_check_in, sign_in, wait_live
from web.tests.test_browser_sync import friends

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def wait_for_worker(page: Page) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def test_the_app_opens_from_a_cold_load_without_a_network_and_queues_a_check_in(
    new_page, daphne_server: LiveServer
) -> None:
    group, _alice, bob = friends()
    page = new_page(phone=True)
    sign_in(page, "bob")
    wait_for_worker(page)
    # Seen once online, under the worker: these are what the app knows.
    for path in ["/", "/checkin"]:
        page.goto(path)
        expect(page.locator("main .loading")).to_have_count(0)
    expect(page.locator("#f-groupId")).to_contain_text("Runners")

    # No network and no server: not even a socket could answer.
    page.context.set_offline(True)
    daphne_server.stop()
    cold = page.context.new_page()
    cold.goto("/")
    expect(cold.get_by_role("heading", name="Your groups")).to_be_visible()
    expect(cold.locator("#groups")).to_contain_text("Runners")
    expect(cold.locator("#live-state")).to_have_text("Offline")
    screenshot(cold, "offline-cold-start")

    cold.goto(f"/checkin?group={group.pk}")
    fill_check_in(cold, (6, 6, 6, 3))
    cold.get_by_role("button", name="Submit check-in").click()
    expect(cold.locator("#checkin-form")).to_contain_text("You are offline")
    expect(cold.locator(".queued.pending")).to_have_count(1)

    daphne_server.start()
    cold.context.set_offline(False)
    expect(cold.locator(".queued")).to_have_count(0)
    wait_live(cold)
    assert CheckIn.objects.filter(user=bob, group=group).count() == 1
