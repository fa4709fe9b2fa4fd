"""The rest of the journey in a real browser: email verification by the emailed
link, the import from the old app with its rollback, and every main screen
(screenshots for CI, no CSP violation, phone-sized)."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, expect

from accounts.models import User
from checkins.models import CheckIn
from web.tests.conftest import LiveServer, screenshot
from web.tests.helpers import create_group, emailed_link, register, sign_in, wait_live
from web.tests.test_browser_sync import friends

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_the_link_in_the_verification_email_verifies_the_address(new_page, daphne_server: LiveServer) -> None:
    page = new_page()
    register(page, "carol")
    assert not User.objects.get(username="carol").email_verified
    link = emailed_link(daphne_server.emails(), "/verify-email")
    assert link.startswith(daphne_server.url)
    page.goto(link)
    expect(page.get_by_role("heading", name="Email verified")).to_be_visible()
    assert User.objects.get(username="carol").email_verified


def test_forgotten_password_is_reset_through_the_emailed_link(new_page, daphne_server: LiveServer) -> None:
    friends()
    page = new_page()
    page.goto("/forgot-password")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("main [role=status]")).to_contain_text("reset link is on its way")
    page.goto(emailed_link(daphne_server.emails(), "/reset-password"))
    page.get_by_label("New password").fill("Brand-New-Pass-7")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert User.objects.get(username="alice").check_password("Brand-New-Pass-7")


def test_old_app_data_in_local_storage_is_imported_shown_and_rolled_back(new_page) -> None:
    friends()
    page = new_page()
    sign_in(page, "alice")
    raw_keys = json.loads((FIXTURES / "raw-keys-newyork.json").read_text())
    profile = json.loads(raw_keys["hucares_user_profile"])
    found = json.loads(raw_keys["hucares_check_ins"])
    # Only the profile owner's check-ins are imported; the old app also kept friends' sample data.
    expected = sum(1 for check_in in found if check_in["userId"] == profile["id"])
    page.evaluate("(keys) => { for (const [k, v] of Object.entries(keys)) localStorage.setItem(k, v); }", raw_keys)

    page.goto("/import")
    expect(page.locator("#import-source")).to_have_text(
        f"Found {len(found)} check-ins from the old app in this browser."
    )
    page.get_by_role("button", name="Check what would be imported").click()
    expect(page.locator("#import-report")).to_contain_text("Dry run: nothing was saved")
    expect(page.locator("#imported-count")).to_have_text(str(expected))
    assert not CheckIn.objects.filter(user__username="alice").exists()
    screenshot(page, "import-dry-run")

    page.get_by_role("button", name="Import now").click()
    expect(page.locator("#import-report h2")).to_have_text("Imported")
    assert CheckIn.objects.filter(user__username="alice").count() == expected

    page.get_by_role("link", name="History").click()
    expect(page.locator("table.history tbody tr")).to_have_count(expected)
    expect(page.locator("#trend svg polyline")).to_have_count(5)
    screenshot(page, "history-after-import")

    page.goto("/import")
    page.get_by_role("button", name="Undo this import").click()
    expect(page.locator("#rollback-done")).to_contain_text(f"{expected} check-ins")
    assert not CheckIn.objects.filter(user__username="alice").exists()
    # The old data stays in the browser until the user removes it.
    assert page.evaluate("() => localStorage.getItem('hucares_check_ins')") == raw_keys["hucares_check_ins"]
    page.goto("/import")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove the old data from this browser").click()
    expect(page.locator("#import-source")).to_contain_text("No data of the old app")
    assert page.evaluate("() => localStorage.getItem('hucares_check_ins')") is None


def test_an_export_file_picked_by_the_user_is_checked_before_import(new_page) -> None:
    friends()
    page = new_page()
    sign_in(page, "bob")
    page.goto("/import")
    expect(page.locator("#import-source")).to_contain_text("No data of the old app")
    export = FIXTURES / "export-berlin.json"
    page.get_by_label("Or pick an export file").set_input_files(str(export))
    count = len(json.loads(export.read_text())["checkIns"])
    expect(page.locator("#import-source")).to_have_text(f"Found {count} check-ins from the old app in the file.")
    page.get_by_role("button", name="Check what would be imported").click()
    expect(page.locator("#import-report")).to_contain_text("Dry run")


SCREENS = ["/", "/checkin", "/history", "/analytics", "/notifications", "/profile", "/sessions", "/import"]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_every_main_screen_renders_without_errors_or_csp_violations(new_page, phone: bool) -> None:
    problems: list[str] = []
    page = new_page(phone=phone)

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error" and "status of 4" not in message.text:
            problems.append(message.text)

    page.on("console", watch)
    page.on("pageerror", lambda error: problems.append(str(error)))
    suffix = "phone" if phone else "desktop"
    page.goto("/login")
    screenshot(page, f"login-{suffix}")
    register(page, "dana")
    code = create_group(page, "Book club")
    assert len(code) == 8
    wait_live(page)
    screenshot(page, f"group-{suffix}")
    for path in SCREENS:
        page.goto(path)
        expect(page.locator("main .loading")).to_have_count(0)
        expect(page.locator("main .error")).to_have_count(0)
        name = path.strip("/") or "home"
        screenshot(page, f"{name}-{suffix}")
    if phone:
        # Nothing wider than the screen: the layout fits a phone.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert problems == []
