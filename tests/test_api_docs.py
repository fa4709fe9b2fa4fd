"""The API's documentation: the AsyncAPI document matches the socket's code, and the docs pages stay on this host."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from rest_framework.test import APIClient

from hucares.core.errors import error_table
from realtime import protocol

from .client_tools import require

ROOT = Path(__file__).resolve().parent.parent
ASYNCAPI = ROOT / "docs" / "asyncapi.yaml"
API_GUIDE = ROOT / "docs" / "api.md"
ORIGIN = "http://testserver"
# Spelled in two parts so that this file does not name them itself.
OUTSIDE_DOCUMENT = "CONTR" + "ACT"
OUTSIDE_FOLDER = "../" + "shared"


@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    return dict(yaml.safe_load(ASYNCAPI.read_text()))


def test_every_frame_of_the_code_is_documented(asyncapi: dict[str, Any]) -> None:
    names = {message["name"] for message in asyncapi["components"]["messages"].values()}
    client_frames = set(re.findall(r'"([a-z-]+)": self\._', (ROOT / "realtime" / "consumers.py").read_text()))
    builders = (ROOT / "realtime" / "frames.py").read_text() + (ROOT / "streams" / "events.py").read_text()
    server_frames = set(re.findall(r'\b_?frame\(\s*"([a-z-]+)"', builders))
    assert {"authenticate", "heartbeat", "join-group"} <= client_frames
    assert {"connected", "friend-checked-in", "user-typing"} <= server_frames
    assert client_frames | server_frames <= names
    assert {"resume", "resync-required"} <= names


def test_every_close_code_is_documented(asyncapi: dict[str, Any]) -> None:
    codes = {value for name, value in vars(protocol).items() if name.startswith("CLOSE_")}
    assert codes
    for code in codes:
        assert f"| {code} |" in asyncapi["info"]["description"]


def test_the_asyncapi_document_is_valid_asyncapi_3() -> None:
    official = ROOT / "tools" / "clients" / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0.json"
    require(official)
    validator = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(validator), "--schemafile", str(official), str(ASYNCAPI)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_reference_in_the_asyncapi_document_resolves(asyncapi: dict[str, Any]) -> None:
    refs = re.findall(r"\$ref: '#/([^']+)'", ASYNCAPI.read_text())
    assert refs
    for ref in refs:
        node: Any = asyncapi
        for part in ref.split("/"):
            node = node[part]


def test_the_asyncapi_document_is_served_beside_the_openapi_schema(api_client: APIClient) -> None:
    response = api_client.get("/api/v1/asyncapi/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/yaml")
    assert b"".join(response.streaming_content) == ASYNCAPI.read_bytes()  # type: ignore[attr-defined]
    schema = api_client.get("/api/v1/schema/?format=json").json()
    assert "(/api/v1/asyncapi/)" in schema["info"]["description"]


def test_the_guide_lists_every_error_of_the_table() -> None:
    import hucares.urls  # noqa: F401 - loads every app's views, so every error class is defined

    guide = API_GUIDE.read_text()
    for cls in error_table():
        if ".tests." in f".{cls.__module__}.":
            continue  # an error class that exists only to test the handler
        assert re.search(rf"\| {cls.status} \| `{cls.code}` \|", guide), f"{cls.status} {cls.code} missing from api.md"


# What is made or installed in a checkout, not written in it (.gitignore).
NOT_WRITTEN_HERE = {"node_modules", "staticfiles", "media"}


def test_nothing_in_the_repository_refers_to_files_outside_it() -> None:
    files = [path for path in ROOT.rglob("*") if path.suffix in {".py", ".md", ".yaml", ".yml", ".sh", ".json"}]
    for path in files:
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in NOT_WRITTEN_HERE for part in parts) or parts[:2] == ("bench", "out"):
            continue
        text = path.read_text()
        assert OUTSIDE_DOCUMENT not in text, path
        assert OUTSIDE_FOLDER not in text, path


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = [value for name, value in attrs if name in {"src", "href", "spec-url"} and value]
        self.urls += found
        self._in_script = tag == "script" and not dict(attrs).get("src")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def _foreign(urls: list[str], base: str) -> list[str]:
    return [url for url in urls if urlsplit(urljoin(base, url)).netloc != urlsplit(ORIGIN).netloc]


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_pages_load_nothing_from_another_host(api_client: APIClient, page: str) -> None:
    response = api_client.get(page)
    assert response.status_code == 200
    parser = _Links()
    parser.feed(response.content.decode())
    assert parser.urls, "the page names its assets"
    assert _foreign(parser.urls, ORIGIN + page) == []
    # The page's CSP allows scripts from this host only: an inline script would not run.
    assert parser.inline_scripts == 0
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for url in parser.urls:
        asset = api_client.get(urljoin(page, url))
        assert asset.status_code == 200, url


def test_swagger_ui_is_told_not_to_call_the_online_validator(api_client: APIClient) -> None:
    script = api_client.get("/api/v1/docs/?script=").content.decode()
    assert '"validatorUrl": null' in script
    literal_urls = re.findall(r"https?://[^\s\"'`]+", script)
    assert _foreign(literal_urls, ORIGIN) == []


def _payload(asyncapi: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    payload = message["payload"]
    if "$ref" in payload:
        payload = asyncapi["components"]["schemas"][payload["$ref"].rsplit("/", 1)[-1]]
    return dict(payload)


def test_every_stream_event_requires_its_cursor(asyncapi: dict[str, Any]) -> None:
    description = asyncapi["info"]["description"]
    listed = description.split("Every event of the user's stream (", 1)[1].split(")", 1)[0]
    stream = set(re.findall(r"`([a-z-]+)`", listed))
    assert {"friend-checkin-deleted", "profile-updated", "notifications-read-all"} <= stream
    messages = {message["name"]: message for message in asyncapi["components"]["messages"].values()}
    for name in stream:
        payload = _payload(asyncapi, messages[name])
        assert "cursor" in payload["required"], f"{name} does not require cursor"
    for name, message in messages.items():
        payload = _payload(asyncapi, message)
        if "cursor" in payload.get("properties", {}):
            assert "cursor" in payload["required"], f"{name} has a cursor it does not require"
