"""Two people in two browsers: check-ins arrive live, private scores stay private."""

import pytest
from playwright.sync_api import expect

from web.tests.conftest import screenshot
from web.tests.helpers import create_group, fill_check_in, join_group, register, wait_live

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_a_check_in_appears_live_for_a_friend_and_private_scores_stay_hidden(new_page) -> None:
    alice, bob = new_page(), new_page(phone=True)
    register(alice, "alice")
    code = create_group(alice, "Climbers")
    wait_live(alice)
    expect(alice.locator("#member-count")).to_have_text("1 member")
    register(bob, "bob")
    join_group(bob, code, "Climbers")
    # Alice's open group page counts bob without a reload.
    expect(alice.locator("#member-count")).to_have_text("2 members")
    wait_live(bob)
    expect(bob.locator("#group-checkins")).to_contain_text("Nobody has checked in")
    # Presence between the two open pages.
    alice.goto(alice.url)
    wait_live(alice)
    expect(alice.locator("#members li", has_text="bob")).to_contain_text("online")
    expect(bob.get_by_label("Say something")).to_have_count(0)
    expect(alice.locator("#unread")).to_have_text("1")  # bob joined

    alice.goto("/checkin")
    fill_check_in(alice, (8, 7, 6, 2), note="Good week on the wall")
    expect(alice.locator("#score")).to_have_text("19")  # productive + satisfied + body - care, as typed
    screenshot(alice, "checkin-form")
    alice.get_by_role("button", name="Submit check-in").click()
    expect(alice.get_by_role("heading", name="Climbers")).to_be_visible()

    # Bob's page was never reloaded: the row arrives over the socket.
    row = bob.locator("[data-checkin]", has_text="alice")
    expect(row.locator(".score")).to_have_text("19")
    expect(row).to_contain_text("Good week on the wall")
    expect(bob.locator("#unread")).to_have_text("1")  # the friend_check_in notification, live
    screenshot(bob, "group-live-phone")

    wait_live(alice)
    bob.goto("/checkin")
    fill_check_in(bob, (3, 4, 5, 9), private=True, note="rough one")
    bob.get_by_role("button", name="Submit check-in").click()
    expect(bob.get_by_role("heading", name="Climbers")).to_be_visible()

    hidden = alice.locator("[data-checkin]", has_text="bob")
    expect(hidden).to_contain_text("scores private")
    expect(hidden.locator(".score")).to_have_count(0)
    expect(hidden).not_to_contain_text("rough one")
    # Bob still sees his own scores.
    expect(bob.locator("[data-checkin]", has_text="bob").locator(".score")).to_have_text("3")
