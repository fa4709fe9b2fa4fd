"""Every screen on the narrowest phone the app is made for: nothing wider than the
screen, even with words longer than a line in a group's name and a note."""

import pytest
from playwright.sync_api import Page, expect

from checkins.services import checkin_submit
from web.tests.conftest import SMALL_PHONE
from web.tests.helpers import sign_in, wait_live
from web.tests.test_browser_sync import friends, in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

LONG_WORD = "Supercalifragilisticexpialidocious" * 6


def signed_in_screens(group_id: str) -> list[str]:
    return [
        "/",
        f"/groups/{group_id}",
        "/checkin",
        f"/checkin?group={group_id}",
        "/history",
        "/analytics",
        "/notifications",
        "/profile",
        "/sessions",
        "/import",
        "/no-such-page",
    ]


def assert_fits(page: Page, path: str) -> None:
    page.goto(path)
    expect(page.locator("main .loading")).to_have_count(0)
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= SMALL_PHONE["width"], f"{path} is {width}px wide"


def test_no_screen_scrolls_sideways_at_360_px_even_with_long_words(new_page) -> None:
    group, alice, _bob = friends()
    group.name = LONG_WORD[:100]
    group.save(update_fields=["name"])
    in_thread(
        lambda: checkin_submit(
            user=alice, group_id=group.pk, productive=7, satisfied=6, body=5, care=2, reflection_note=LONG_WORD
        )
    )
    page = new_page(viewport=SMALL_PHONE)
    for path in ["/login", "/register", "/forgot-password"]:
        assert_fits(page, path)
    sign_in(page, "alice")
    wait_live(page)
    for path in signed_in_screens(str(group.pk)):
        assert_fits(page, path)
    # Every main link is on the screen, not behind a sideways scroll.
    for link in page.get_by_role("navigation", name="Main").get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= SMALL_PHONE["width"]
