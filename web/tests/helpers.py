"""Steps the browser scenarios share: signing up and in, groups, check-ins, all through the UI."""

import email
import email.policy
import re

from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD


def register(page: Page, username: str) -> None:
    page.goto("/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your groups")).to_be_visible()


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Email or username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your groups")).to_be_visible()


def create_group(page: Page, name: str) -> str:
    """Create a group from the home page; returns its access code."""
    page.get_by_label("Group name").fill(name)
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    return page.locator("#access-code").inner_text()


def join_group(page: Page, code: str, name: str) -> None:
    page.goto("/")
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Join group").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def wait_live(page: Page) -> None:
    expect(page.locator("#live-state")).to_have_text("Live")


def fill_check_in(page: Page, scores: tuple[int, int, int, int], *, private: bool = False, note: str = "") -> None:
    """On the check-in page: set the four sliders (the score updates as they move)."""
    for name, value in zip(("productive", "satisfied", "body", "care"), scores, strict=True):
        page.locator(f"#f-{name}").fill(str(value))
    if private:
        page.get_by_label("Private").check()
    if note:
        page.get_by_label("Note (optional)").fill(note)


def emailed_link(raw_messages: list[str], path: str) -> str:
    """The first link to `path` in the text parts of the messages a server sent."""
    for raw in reversed(raw_messages):
        message = email.message_from_string(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        found = re.search(rf"https?://\S+{re.escape(path)}\?token=[\w\-.~%]+", str(text))
        if found:
            return found.group(0)
    raise AssertionError(f"no email with a {path} link among {len(raw_messages)} sent")
