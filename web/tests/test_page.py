"""The page Django serves for the client's routes, and what it must not shadow."""

import json
from pathlib import Path

import pytest
from django.test import Client

from web.icons import draw, icon_path
from web.urls import CLIENT_ROUTES
from web.views import APP_CSP, SW_CSP

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "path", ["/", "/login", "/verify-email", "/groups/5b0c6c2e-2b1f-4a8e-9a51-0c8d1d1f4c11", "/checkin"]
)
def test_client_routes_get_the_app_page_with_a_strict_csp(path: str) -> None:
    response = Client().get(path, {"token": "abc"})
    assert response.status_code == 200
    assert b'type="module"' in response.content
    csp = response["Content-Security-Policy"]
    assert csp == APP_CSP
    assert "unsafe-inline" not in csp
    assert "script-src 'self'" in csp
    assert response["Cache-Control"] == "no-cache"


def test_the_page_loads_nothing_from_another_host() -> None:
    html = Client().get("/").content.decode()
    assert "http://" not in html
    assert "https://" not in html
    assert "<script>" not in html
    assert "style=" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/nowhere", "/groups/not-a-uuid", "/checkin/extra"])
def test_paths_that_are_not_client_routes_still_get_the_json_404(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_every_route_of_the_client_router_is_served() -> None:
    # The server's list and the router's must agree, or a reload of a screen 404s.
    router = "".join(
        (ROOT / "static" / "web" / "app" / name).read_text()
        for name in ("views-auth.js", "views-groups.js", "views-me.js")
    )
    for route in CLIENT_ROUTES:
        pattern = "/^\\/" + route.replace("/", "\\/") + "$/"
        assert pattern in router, f"{route}: no {pattern} in the client router"


def test_the_page_is_read_only() -> None:
    assert Client().post("/").status_code == 405


def test_the_modules_are_served_as_javascript() -> None:
    response = Client().get("/static/web/app/main.js")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/nowhere", "/groups/not-a-uuid", "/checkin/extra"])
def test_a_browser_opening_an_unknown_address_gets_the_app_with_a_404(path: str) -> None:
    response = Client().get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 404
    assert b'type="module"' in response.content
    assert response["Content-Security-Policy"] == APP_CSP


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/nothing", "/static/web/nothing.js"])
def test_unknown_api_and_server_paths_stay_json_even_for_a_browser(path: str) -> None:
    response = Client().get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_the_service_worker_is_served_at_the_root_with_the_shell_to_keep() -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Content-Security-Policy"] == SW_CSP
    assert response["Cache-Control"] == "no-cache"
    text = response.content.decode()
    for url in ['"/"', "/static/web/app/main.js", "/static/web/sdk/queue.js", "/static/web/app.css"]:
        assert url in text


def test_the_page_links_the_manifest_and_its_icons_exist() -> None:
    html = Client().get("/").content.decode()
    assert 'rel="manifest"' in html
    manifest = json.loads((ROOT / "static" / "web" / "manifest.webmanifest").read_text())
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert (ROOT / icon["src"].removeprefix("/")).exists(), icon["src"]


def test_the_committed_icon_is_what_the_generator_draws() -> None:
    assert icon_path(192).read_bytes() == draw(192)
