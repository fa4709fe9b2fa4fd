"""The web client's measured quality (`make web-quality`, after `make web-check`):

- axe finds nothing on any screen, signed out and signed in;
- no screen is wider than a 360 px phone;
- a screenshot of every screen goes to artifacts/screens/;
- the app is installable (Chromium's own installability check over DevTools);
- Lighthouse, on a mobile profile, scores accessibility and best practices >= 95
  on the pages a fresh browser can open.

Not named test_*.py: it needs the tools of web/quality/ (npm), which `make test`
does not install, so only the make target collects it.
"""

import json
import os
import subprocess

import pytest
from playwright.sync_api import Browser, Page, expect

from checkins.services import checkin_submit
from notifications.tests.factories import NotificationFactory
from web.tests.conftest import CHROMIUM, ROOT, SMALL_PHONE, LiveServer
from web.tests.helpers import sign_in, wait_live
from web.tests.test_browser_sync import friends, in_thread

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

TOOLS = ROOT / "web" / "quality" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
LIGHTHOUSE = TOOLS / ".bin" / "lighthouse"
SCREENS = ROOT / "artifacts" / "screens"
REPORTS = ROOT / "artifacts" / "lighthouse"
MIN_SCORE = 0.95
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3


def check_screen(page: Page, path: str, name: str) -> None:
    page.goto(path)
    expect(page.locator("main .loading")).to_have_count(0)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    violations = [
        f"{item['id']}: {item['help']} ({[node['target'] for node in item['nodes']]})" for item in result["violations"]
    ]
    assert violations == [], f"{path}: {violations}"
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= SMALL_PHONE["width"], f"{path} is {width}px wide"
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_every_screen_passes_axe_fits_a_phone_and_is_photographed(browser: Browser, daphne_server: LiveServer) -> None:
    assert AXE.exists(), "run `make web-quality` (it installs web/quality's tools)"
    group, alice, _bob = friends()
    in_thread(
        lambda: checkin_submit(
            user=alice, group_id=group.pk, productive=8, satisfied=7, body=6, care=3, reflection_note=LONG_WORD
        )
    )
    NotificationFactory.create(user=alice, title="Bob joined", message="Bob joined Runners.")
    # axe is injected as a script of its own, which the app's CSP rightly refuses.
    context = browser.new_context(
        base_url=daphne_server.url, viewport=SMALL_PHONE, is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    for path, name in [("/login", "login"), ("/register", "register"), ("/forgot-password", "forgot-password")]:
        check_screen(page, path, name)
    sign_in(page, "alice")
    wait_live(page)
    screens = [
        ("/", "groups"),
        (f"/groups/{group.pk}", "group"),
        (f"/checkin?group={group.pk}", "checkin-edit"),
        ("/history", "history"),
        ("/analytics", "insights"),
        ("/notifications", "notifications"),
        ("/profile", "profile"),
        ("/sessions", "devices"),
        ("/import", "import"),
        ("/no-such-page", "not-found"),
    ]
    for path, name in screens:
        check_screen(page, path, name)

    # Chromium's own verdict on installability: manifest, icons, a worker that serves the page.
    page.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    session = context.new_cdp_session(page)
    errors = session.send("Page.getInstallabilityErrors")["installabilityErrors"]
    context.close()
    # Contexts of a test browser are incognito, which no page can change.
    assert [error for error in errors if error["errorId"] != "in-incognito"] == []


def test_lighthouse_scores_accessibility_and_best_practices_on_a_phone(daphne_server: LiveServer) -> None:
    assert LIGHTHOUSE.exists(), "run `make web-quality` (it installs web/quality's tools)"
    REPORTS.mkdir(parents=True, exist_ok=True)
    scores = {}
    # A fresh browser profile: the pages anyone can open (the rest need a session in storage).
    for path in ["/login"]:
        report = REPORTS / f"{path.strip('/')}.json"
        subprocess.run(
            [
                str(LIGHTHOUSE),
                f"{daphne_server.url}{path}",
                "--only-categories=accessibility,best-practices",
                "--form-factor=mobile",
                "--screenEmulation.mobile",
                "--throttling-method=provided",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                "--output=json",
                f"--output-path={report}",
                "--quiet",
            ],
            check=True,
            timeout=120,
            env={**os.environ, "CHROME_PATH": CHROMIUM},
        )
        categories = json.loads(report.read_text())["categories"]
        scores[path] = {name: category["score"] for name, category in categories.items()}
    assert all(score >= MIN_SCORE for page in scores.values() for score in page.values()), scores
