"""The docs pages in a real browser: every request a page makes goes to the app's own host.

Headless Chromium, driven over the DevTools protocol, loads Swagger UI and
ReDoc from a live daphne; the page's own network requests (not the browser's
background traffic) are recorded until the page has fetched the schema and
nothing is left in flight. Skipped where no Chromium is installed.
"""

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.sync.client import ClientConnection, connect

pytestmark = [pytest.mark.e2e]

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
TIMEOUT = 30.0


@pytest.fixture
def devtools(tmp_path: Path) -> Iterator[ClientConnection]:
    if BROWSER is None:
        pytest.skip("no Chromium on this machine")
    profile = tmp_path / "profile"
    command = [BROWSER, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    command += ["--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + TIMEOUT
        while not (port_file.exists() and len(port_file.read_text().splitlines()) == 2):
            assert time.monotonic() < deadline, "Chromium did not open its DevTools port"
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()
        with connect(f"ws://127.0.0.1:{port}{path}", max_size=None) as connection:
            yield connection
    finally:
        process.terminate()
        process.wait(timeout=10)


class Page:
    """One tab, attached over the browser's DevTools connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.next_id = 0
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def call(self, method: str, params: dict[str, Any], session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.connection.send(json.dumps(message))
        while True:
            reply = json.loads(self.connection.recv(timeout=TIMEOUT))
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return dict(reply["result"])

    def requests_of(self, url: str, until_path: str) -> list[str]:
        """Every URL the page requests while loading ``url``, once ``until_path`` is fetched and all is done."""
        self.call("Network.enable", {}, self.session)
        self.next_id += 1
        navigate = {"id": self.next_id, "method": "Page.navigate", "params": {"url": url}, "sessionId": self.session}
        self.connection.send(json.dumps(navigate))
        urls: list[str] = []
        pending: set[str] = set()
        done_target = False
        deadline = time.monotonic() + TIMEOUT
        while not (done_target and not pending):
            assert time.monotonic() < deadline, f"the page kept loading: {sorted(pending)}"
            event = json.loads(self.connection.recv(timeout=TIMEOUT))
            if event.get("sessionId") != self.session:
                continue
            params = event.get("params", {})
            if event.get("method") == "Network.requestWillBeSent":
                urls.append(params["request"]["url"])
                pending.add(params["requestId"])
            elif event.get("method") in {"Network.loadingFinished", "Network.loadingFailed"}:
                pending.discard(params["requestId"])
                done_target = done_target or any(urlsplit(u).path == until_path for u in urls)
        return urls


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_a_docs_page_requests_nothing_from_another_host(
    live_daphne: str, devtools: ClientConnection, page: str
) -> None:
    urls = Page(devtools).requests_of(live_daphne + page, until_path="/api/v1/schema/")
    assert any(urlsplit(url).path == "/api/v1/schema/" for url in urls), urls
    host = urlsplit(live_daphne).netloc
    foreign = [url for url in urls if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != host]
    assert foreign == []
