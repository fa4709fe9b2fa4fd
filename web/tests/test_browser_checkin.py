"""Check-ins in a real browser: editing this period's, the server's field message
at the field, and a group done this period opened for editing instead of a 409."""

import json

import pytest
from playwright.sync_api import expect

from checkins.models import CheckIn
from checkins.services import checkin_submit
from web.tests.helpers import fill_check_in, sign_in, wait_live
from web.tests.test_browser_sync import friends, in_thread, session_tokens

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_this_periods_check_in_is_opened_and_edited_not_duplicated(new_page) -> None:
    group, alice, _bob = friends()
    in_thread(lambda: checkin_submit(user=alice, group_id=group.pk, productive=7, satisfied=7, body=7, care=7))
    page = new_page()
    sign_in(page, "alice")
    expect(page.get_by_role("link", name="Edit")).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit your check-in")).to_be_visible()
    expect(page.locator("#f-productive")).to_have_value("7")
    expect(page.locator("#score")).to_have_text("14")
    fill_check_in(page, (9, 8, 7, 2), note="Better now.")
    expect(page.locator("#score")).to_have_text("22")
    expect(page.locator("#v-productive")).to_have_text("9")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#banner")).to_contain_text("Check-in updated")
    check_in = CheckIn.objects.get(user=alice, group=group)
    assert (check_in.productive, check_in.care, check_in.reflection_note) == (9, 2, "Better now.")


def test_a_too_long_note_shows_the_servers_message_once_at_the_field(new_page) -> None:
    group, _alice, bob = friends()
    page = new_page()
    sign_in(page, "bob")
    page.goto(f"/checkin?group={group.pk}")
    page.get_by_label("Note (optional)").fill("x" * 6600)
    page.get_by_role("button", name="Submit check-in").click()
    error = page.locator("#f-reflectionNote-error")
    expect(error).to_contain_text("2000")
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page.locator("#checkin-form [role=alert]")).to_have_count(1)
    # Refused, so nothing waits on the device to be sent again.
    expect(page.locator(".queued")).to_have_count(0)
    assert not CheckIn.objects.filter(user=bob).exists()


# The check-in made "elsewhere" is written by this test's process; only a shared cache (Redis) lets the
# server's process see it at once, while on the embedded layout every write goes through the server itself.
@pytest.mark.services_only
def test_a_check_in_made_elsewhere_meanwhile_turns_the_form_into_an_edit(new_page) -> None:
    group, _alice, bob = friends()
    page = new_page()
    sign_in(page, "bob")
    page.goto(f"/checkin?group={group.pk}")
    expect(page.get_by_role("heading", name="Check in")).to_be_visible()
    # Without live events the page cannot know of it before the server says so.
    page.evaluate("() => window.hucares.live.stop()")
    in_thread(lambda: checkin_submit(user=bob, group_id=group.pk, productive=7, satisfied=7, body=7, care=7))
    page.get_by_role("button", name="Submit check-in").click()
    alert = page.locator("#checkin-form [role=alert]")
    expect(alert).to_contain_text("edit that check-in instead")
    expect(alert).to_have_count(1)
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
    expect(page.locator(".queued")).to_have_count(0)
    assert CheckIn.objects.filter(user=bob).count() == 1


def test_an_open_check_in_form_becomes_an_edit_when_another_device_checks_in(new_page) -> None:
    group, _alice, _bob = friends()
    page = new_page()
    sign_in(page, "bob")
    page.goto(f"/checkin?group={group.pk}")
    wait_live(page)
    expect(page.get_by_role("button", name="Submit check-in")).to_be_visible()
    # The other device checks in through the server, as a phone would.
    laptop = new_page()
    sign_in(laptop, "bob")
    answer = laptop.request.post(
        "/api/v1/checkins",
        data=json.dumps({"groupId": str(group.pk), "productive": 7, "satisfied": 7, "body": 7, "care": 2}),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {session_tokens(laptop)['accessToken']}",
        },
    )
    assert answer.status == 201
    expect(page.get_by_role("heading", name="Edit your check-in")).to_be_visible()
    expect(page.locator("#score")).to_have_text("19")
    expect(page.get_by_role("button", name="Save changes")).to_be_visible()
