"""The API docs pages in a real browser: no request a page makes reaches another host.

Headless Chromium loads Swagger UI and ReDoc from the live daphne; every
request of the page that went out (finished, or failed for any reason but
the page's Content-Security-Policy) is recorded until the page has fetched
the schema and the network is idle. ReDoc asks for its logo on its own CDN;
the CSP blocks it in the browser, so it never leaves.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Request

from web.tests.conftest import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_a_docs_page_sends_nothing_to_another_host(new_page, daphne_server: LiveServer, path: str) -> None:
    page = new_page()
    sent: list[str] = []

    def failed(request: Request) -> None:
        if request.failure != "csp":
            sent.append(request.url)

    page.on("requestfinished", lambda request: sent.append(request.url))
    page.on("requestfailed", failed)
    with page.expect_response(lambda response: urlsplit(response.url).path == "/api/v1/schema/"):
        page.goto(path)
    page.wait_for_load_state("networkidle")
    host = urlsplit(daphne_server.url).netloc
    assert any(urlsplit(url).path == "/api/v1/schema/" for url in sent), sent
    foreign = [url for url in sent if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != host]
    assert foreign == []
