"""The screens beyond check-ins: avatar, reminders, the group's analytics and the
comparison, user search and invitations, and the first-run path."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from checkins.services import checkin_submit
from groups.models import GroupMembership
from notifications.models import Notification
from web.icons import draw
from web.tests.helpers import register, sign_in
from web.tests.test_browser_sync import friends, in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_an_avatar_is_previewed_uploaded_and_shown_and_reminders_are_set(new_page) -> None:
    friends()
    page = new_page()
    sign_in(page, "alice")
    page.goto("/profile")
    page.get_by_label("Pick a picture").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": draw(48)}]
    )
    expect(page.locator("#avatar-preview")).to_be_visible()
    page.get_by_role("button", name="Upload avatar").click()
    expect(page.locator("#banner")).to_contain_text("Avatar saved")
    avatar = page.locator("#avatar")
    expect(avatar).to_be_visible()
    # Waited for, not read once: on a busy machine the image may still be loading when it shows.
    expect(avatar).to_have_js_property("complete", True)
    expect(avatar).to_have_js_property("naturalWidth", 48)
    assert User.objects.get(username="alice").avatar.name.startswith("avatars/")

    page.get_by_label("Day").select_option("friday")
    page.get_by_label("Time (your time zone)").select_option("7")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#banner")).to_contain_text("Profile saved")
    prefs = User.objects.get(username="alice").notification_preferences
    assert (prefs["reminderDay"], prefs["reminderHour"]) == ("friday", 7)
    page.reload()
    expect(page.get_by_label("Day")).to_have_value("friday")
    expect(page.get_by_label("Time (your time zone)")).to_have_value("7")


def test_the_group_page_shows_analytics_the_comparison_and_invites_a_found_user(new_page) -> None:
    group, alice, bob = friends()
    carol = User.objects.create_user(username="carol", email="carol@example.com", password="x-Long-Pass-1")
    in_thread(lambda: checkin_submit(user=alice, group_id=group.pk, productive=8, satisfied=8, body=8, care=2))
    in_thread(lambda: checkin_submit(user=bob, group_id=group.pk, productive=4, satisfied=4, body=4, care=2))
    page = new_page()
    sign_in(page, "alice")
    page.goto(f"/groups/{group.pk}")
    analytics = page.locator("#group-analytics")
    expect(analytics).to_contain_text("2 check-ins")
    expect(analytics.locator("tbody tr").first).to_contain_text("2 of 2")
    row = page.locator("#comparison [data-dimension=huCaresScore]")
    expect(row).to_contain_text("22.0")  # alice: 8 + 8 + 8 - 2
    expect(row).to_contain_text("+")

    page.get_by_label("Username or email").press_sequentially("car")
    expect(page.locator("#user-suggestions option[value=carol]")).to_have_count(1)
    page.get_by_label("Username or email").fill("carol")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invite-result")).to_contain_text("Invitation sent to carol")
    assert Notification.objects.filter(user=carol, type="group_invitation").count() == 1

    page.get_by_label("Username or email").fill("nobody-here")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invite-form [role=alert]")).to_have_count(1)


def test_a_new_person_is_shown_the_way_to_start(new_page) -> None:
    page = new_page()
    register(page, "erin")
    first_run = page.locator("#first-run")
    expect(first_run).to_contain_text("Welcome to HuCares")
    first_run.get_by_role("link", name="Bring your old check-ins along").click()
    expect(page.get_by_role("heading", name="Import from the old app")).to_be_visible()
    page.go_back()
    page.get_by_label("Group name").fill("Family")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Family")).to_be_visible()
    assert GroupMembership.objects.filter(user__username="erin").count() == 1
