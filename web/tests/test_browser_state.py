"""The app is honest about its state: the live badge follows the network, a device
signed out elsewhere says so, and two devices of one person stay in step."""

import pytest
from playwright.sync_api import expect

from notifications.tests.factories import NotificationFactory
from web.tests.helpers import sign_in, wait_live
from web.tests.test_browser_sync import friends

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_the_live_badge_says_offline_as_soon_as_the_browser_is(new_page) -> None:
    friends()
    page = new_page()
    sign_in(page, "alice")
    wait_live(page)
    page.context.set_offline(True)
    badge = page.locator("#live-state")
    expect(badge).to_have_text("Offline")
    expect(badge).to_have_class("live live-offline")
    page.context.set_offline(False)
    wait_live(page)


def test_a_device_signed_out_from_another_says_so(new_page) -> None:
    friends()
    phone, laptop = new_page(phone=True), new_page()
    sign_in(phone, "alice")
    wait_live(phone)
    sign_in(laptop, "alice")
    laptop.goto("/sessions")
    other = laptop.locator("#sessions li", has=laptop.get_by_role("button", name="Sign out this device"))
    # Devices are named by browser and system, not by their raw user agent.
    expect(other.locator("strong")).to_have_text("Chrome on Linux")
    other.get_by_role("button", name="Sign out this device").click()
    expect(laptop.locator("#sessions li")).to_have_count(1)

    # The server closes the revoked device's socket (4401) at once: the phone
    # signs out and says why without being touched.
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(phone.locator("#banner")).to_contain_text("This device was signed out")
    expect(phone.locator("#banner")).not_to_contain_text("expired")


def test_two_devices_of_one_person_stay_in_step(new_page) -> None:
    _group, alice, _bob = friends()
    NotificationFactory.create(user=alice, title="Bob checked in", message="Bob checked in to Runners.")
    phone, laptop = new_page(phone=True), new_page()
    sign_in(phone, "alice")
    sign_in(laptop, "alice")
    wait_live(phone)
    phone.goto("/notifications")
    expect(phone.locator(".notifications .unread")).to_have_count(1)
    wait_live(phone)

    laptop.goto("/notifications")
    laptop.get_by_role("button", name="Mark read").click()
    expect(laptop.locator(".notifications .unread")).to_have_count(0)
    # Read on the laptop: the phone's open list and badge follow.
    expect(phone.locator(".notifications .read")).to_have_count(1)
    expect(phone.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(phone.locator("#unread")).to_have_text("")

    phone.goto("/profile")
    expect(phone.get_by_label("Username")).to_have_value("alice")
    wait_live(phone)
    laptop.goto("/profile")
    laptop.get_by_label("Username").fill("alice_r")
    laptop.get_by_role("button", name="Save profile").click()
    expect(laptop.locator("#banner")).to_contain_text("Profile saved")
    # The phone's untouched form shows the new name without a reload.
    expect(phone.get_by_label("Username")).to_have_value("alice_r")
