"""A live server (daphne: HTTP and WebSocket) and headless Chromium for the browser tests.

The server is a separate process on a free port, sharing the test database
and Redis with the test; Chromium is the system's (Debian's ``chromium``),
driven by Playwright.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from django.db import connection, connections
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, ViewportSize, expect, sync_playwright

from tests.layout import embedded, server_services

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
START_TIMEOUT = 30.0
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous waits: CI machines run several suites at once. Every wait polls and
# returns as soon as its condition holds.
expect.set_options(timeout=20_000)
OTHER_SESSIONS = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1100, "height": 800}
# The narrowest phone the layouts are made for.
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """One daphne process that a test can stop and start again on the same port."""

    def __init__(self, mail_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mail_dir = mail_dir
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {**os.environ, **server_services()}
        env.update(
            DJANGO_SETTINGS_MODULE="web.tests.server_settings",
            WEB_TEST_MAIL_DIR=str(self.mail_dir),
            WEB_TEST_FRONTEND_URL=self.url,
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "hucares.asgi:application"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/api/v1/health/live", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daphne did not start within {START_TIMEOUT}s")

    def emails(self) -> list[str]:
        """The raw messages the server has sent, oldest first."""
        if not self.mail_dir.exists():
            return []
        return [path.read_text() for path in sorted(self.mail_dir.iterdir(), key=lambda path: path.stat().st_mtime)]

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.wait_for_disconnect()

    @staticmethod
    def wait_for_disconnect() -> None:
        """Wait until PostgreSQL has ended the dead server's sessions: until
        then the database cannot be flushed or dropped. SQLite has no sessions to wait for."""
        if embedded():
            return
        deadline = time.monotonic() + 10
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(OTHER_SESSIONS)
                if cursor.fetchone() == (0,):
                    return
                time.sleep(0.05)


@pytest.fixture
def daphne_server(transactional_db: None, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(mail_dir=tmp_path / "mail")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def browser(daphne_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    """Chromium for one test, started after the database is set up.

    Playwright's sync API keeps an event loop running in this thread while it
    is open, which Django would take for async code; the test's own ORM
    calls are synchronous, so the guard is lifted for this test only.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's loop runs, Django keeps the test's connections
            # apart from the ones it closes at teardown: close them here.
            connections.close_all()


@pytest.fixture
def new_page(browser: Browser, daphne_server: LiveServer) -> Iterator[Callable[..., Page]]:
    """Pages in separate contexts (separate storage: separate people)."""
    contexts: list[BrowserContext] = []

    def make(phone: bool = False, viewport: ViewportSize | None = None) -> Page:
        size = viewport or (PHONE if phone else DESKTOP)
        context = browser.new_context(base_url=daphne_server.url, viewport=size, is_mobile=viewport is not None)
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", show_console_error)
        page.on("pageerror", lambda error: print(f"[page error] {error}"))
        return page

    yield make
    for context in contexts:
        context.close()


def show_console_error(message: ConsoleMessage) -> None:
    if message.type == "error":
        print(f"[browser] {message.text}")


def screenshot(page: Page, name: str) -> None:
    """Save a screenshot for the CI artifacts (the folder is ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
