"""The shipped nginx templates (docker/nginx/templates/), rendered as the
image renders them and run by the Debian nginx in front of a real daphne:
TLS with the locally made CA, WebSockets over TLS, the HTTP redirect, admin
login through the proxy, JSON error envelopes and logs without tokens."""

import asyncio
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.typing import Origin

from accounts.models import User
from realtime.tests.helpers import access_token
from tests.test_e2e_realtime import free_port, server_env, wait_until_serving

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)"),
]

ROOT = Path(__file__).resolve().parent.parent
TOKEN_MARK = "tokenmark-4f9d0c1e7a"


@dataclass
class Proxy:
    https: int
    http: int
    run_dir: Path
    tls: ssl.SSLContext

    def url(self, path: str) -> str:
        return f"https://localhost:{self.https}{path}"

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.run_dir.glob("*.log"))


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tls")
    subprocess.run([str(ROOT / "scripts" / "tls_selfsigned.sh"), str(directory)], check=True, timeout=60)
    return directory


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port}")


@pytest.fixture
def start_proxy(tmp_path: Path, cert_dir: Path) -> Iterator[Callable[..., Proxy]]:
    """Starts nginx with the shipped templates in front of one upstream port (and NGINX_* settings)."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(upstream: int, **settings: str) -> Proxy:
        run_dir = tmp_path / f"nginx-{len(processes)}"
        run_dir.mkdir()
        https, http = free_port(), free_port()
        env = {
            **os.environ,
            "NGINX_HTTPS_LISTEN": f"127.0.0.1:{https}",
            "NGINX_HTTP_LISTEN": f"127.0.0.1:{http}",
            "NGINX_HTTPS_REDIRECT_PORT": f":{https}",
            "NGINX_CERT_DIR": str(cert_dir),
            "NGINX_HTTP_UPSTREAM": f"server 127.0.0.1:{upstream};",
            "NGINX_WS_UPSTREAM": f"server 127.0.0.1:{upstream};",
            "NGINX_ACCESS_LOG": f"{run_dir}/access.log hucares_json",
            "NGINX_ERROR_LOG": f"{run_dir}/error.log",
            "NGINX_PROXY_READ_TIMEOUT": "1s",
            **settings,
        }
        subprocess.run([str(ROOT / "scripts" / "render_nginx.sh"), str(run_dir / "conf")], env=env, check=True)
        main = (ROOT / "scripts" / "nginx.local.conf").read_text()
        main = main.replace("@RUN_DIR@", str(run_dir)).replace("@WORKERS@", "1")
        (run_dir / "nginx.conf").write_text(main.replace("@INCLUDE@", str(run_dir / "conf" / "default.conf")))
        with (run_dir / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen(
                ["nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), "-g", "daemon off;"], stderr=stderr
            )
        processes.append(process)
        _wait_for_port(https, process)
        return Proxy(https, http, run_dir, ssl.create_default_context(cafile=str(cert_dir / "ca.pem")))

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def app_port(transactional_db: None) -> Iterator[int]:
    port = free_port()
    env = {**server_env(), "BEHIND_TLS_PROXY": "true"}
    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "hucares.asgi:application"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_https_reaches_the_api_with_the_generated_ca(app_port: int, start_proxy: Callable[[int], Proxy]) -> None:
    proxy = start_proxy(app_port)
    response = httpx.get(proxy.url("/api/v1/health"), verify=proxy.tls, timeout=10)
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ok"
    assert response.headers.get_list("strict-transport-security") == ["max-age=31536000; includeSubDomains"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(proxy.url("/api/v1/health"), timeout=10)  # the system store does not know the local CA


def test_modern_tls_only(app_port: int, start_proxy: Callable[[int], Proxy]) -> None:
    proxy = start_proxy(app_port)
    with (
        socket.create_connection(("127.0.0.1", proxy.https), timeout=10) as raw,
        proxy.tls.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}
    # TLS 1.2 with only non-forward-secret suites: outside Mozilla's intermediate profile.
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.load_verify_locations(cadata=proxy.tls.get_ca_certs(binary_form=True)[0])
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    old.set_ciphers("AES128-SHA256:AES256-SHA256")
    with pytest.raises(httpx.ConnectError):
        httpx.get(proxy.url("/api/v1/health/live"), verify=old, timeout=10)


def test_plain_http_redirects_to_https(app_port: int, start_proxy: Callable[[int], Proxy]) -> None:
    proxy = start_proxy(app_port)
    response = httpx.get(f"http://127.0.0.1:{proxy.http}/api/v1/health?x=1", timeout=10)
    assert response.status_code == 301
    assert response.headers["location"].endswith(f":{proxy.https}/api/v1/health?x=1")
    assert response.headers["location"].startswith("https://")


def test_websocket_over_tls(app_port: int, start_proxy: Callable[[int], Proxy], user: User) -> None:
    proxy = start_proxy(app_port)

    url = f"wss://localhost:{proxy.https}/ws/?token={access_token(user)}"

    async def connect() -> dict[str, object]:
        async with websockets.connect(url, ssl=proxy.tls, origin=Origin("http://localhost")) as ws:
            async with asyncio.timeout(10):
                return dict(json.loads(await ws.recv()))

    frame = asyncio.run(connect())
    assert frame["event"] == "connected"


def test_admin_login_works_through_the_proxy(app_port: int, start_proxy: Callable[[int], Proxy]) -> None:
    User.objects.create_superuser(email="root@example.com", username="root", password="Admin-pass-1")
    proxy = start_proxy(app_port)
    with httpx.Client(verify=proxy.tls, timeout=10) as client:
        page = client.get(proxy.url("/admin/login/"))
        assert page.status_code == 200
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert csrf is not None
        response = client.post(
            proxy.url("/admin/login/?next=/admin/"),
            data={"csrfmiddlewaretoken": csrf.group(1), "username": "root@example.com", "password": "Admin-pass-1"},
            headers={"Referer": proxy.url("/admin/login/"), "Origin": f"https://localhost:{proxy.https}"},
        )
        assert response.status_code == 302, response.text[:300]
        assert response.headers["location"] == "/admin/"
        assert client.get(proxy.url("/admin/")).status_code == 200


def _silent_listener() -> tuple[socket.socket, int]:
    # Accepts connections (the kernel does) and never answers: nginx times out.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener, int(listener.getsockname()[1])


@pytest.mark.parametrize("status", [502, 504])
def test_nginx_errors_are_json_envelopes(status: int, start_proxy: Callable[[int], Proxy]) -> None:
    listener, port = _silent_listener()
    with listener:
        if status == 502:
            listener.close()  # nothing listens on the port any more
        proxy = start_proxy(port)
        response = httpx.get(proxy.url("/api/v1/health"), verify=proxy.tls, headers={"X-Request-ID": "r-1"}, timeout=10)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert body["meta"]["requestId"] == "r-1"
    assert "strict-transport-security" in response.headers


def test_new_sockets_beyond_the_handshake_queue_get_a_json_503(start_proxy: Callable[..., Proxy]) -> None:
    listener, port = _silent_listener()  # an app server that never answers: what passes waits there
    with listener:
        proxy = start_proxy(port, NGINX_WS_HANDSHAKE_RATE="1", NGINX_WS_HANDSHAKE_QUEUE="1")

        def handshake(_: int) -> httpx.Response | None:
            try:
                return httpx.get(proxy.url("/ws/"), verify=proxy.tls, timeout=3)
            except httpx.ReadTimeout:
                return None  # let through, or waiting its turn in the queue

        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(handshake, range(3)))
    # One let through, one queued behind it for a second, the third over the queue.
    refused = [answer for answer in answers if answer is not None]
    assert len(refused) == 1, answers
    assert refused[0].status_code == 503
    assert refused[0].json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_oversized_body_is_a_json_413(app_port: int, start_proxy: Callable[[int], Proxy]) -> None:
    proxy = start_proxy(app_port)
    response = httpx.post(proxy.url("/api/v1/auth/login"), content=b"x" * (7 * 1024 * 1024), verify=proxy.tls)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /api/v1/health?q=" + b"x" * 20000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        (b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"x" * 20000 + b"\r\n\r\n", 400),
        (b"GET /media/none.png HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 404),
    ],
)
def test_requests_nginx_refuses_get_json_envelopes(
    request_bytes: bytes, status: int, app_port: int, start_proxy: Callable[[int], Proxy]
) -> None:
    proxy = start_proxy(app_port)
    with (
        socket.create_connection(("127.0.0.1", proxy.https), timeout=10) as raw,
        proxy.tls.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(request_bytes)
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == str(status).encode(), head
    assert b"content-type: application/json" in head.lower()
    envelope = json.loads(body)
    assert envelope["success"] is False
    assert envelope["error"]["code"] == ("NOT_FOUND" if status == 404 else "MALFORMED_REQUEST")
    assert envelope["error"]["details"] == {"status": status}


def test_metrics_are_not_served_to_the_public(app_port: int, start_proxy: Callable[[int], Proxy]) -> None:
    proxy = start_proxy(app_port)
    response = httpx.get(proxy.url("/metrics"), verify=proxy.tls, timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_tokens_stay_out_of_every_nginx_log(app_port: int, start_proxy: Callable[[int], Proxy], user: User) -> None:
    proxy = start_proxy(app_port)
    dead = start_proxy(free_port())  # upstream down: nginx logs connect() errors with the request line
    token = f"{access_token(user)}.{TOKEN_MARK}"

    async def sockets() -> None:
        for target in (proxy, dead):
            try:
                async with websockets.connect(f"wss://localhost:{target.https}/ws/?token={token}", ssl=target.tls):
                    pass
            except websockets.InvalidStatus:
                pass

    asyncio.run(sockets())
    for target in (proxy, dead):
        httpx.get(target.url(f"/api/v1/health?token={token}"), verify=target.tls, timeout=10)
        httpx.get(f"http://127.0.0.1:{target.http}/ws/?token={token}", timeout=10)
    logs = proxy.logs() + dead.logs()
    assert '"path":"/ws/"' in logs  # the requests were logged ...
    assert '"status":502' in logs
    assert TOKEN_MARK not in logs  # ... without the token


@pytest.fixture
def make_serve(transactional_db: None, tmp_path: Path) -> Iterator[int]:
    """``scripts/serve.sh`` (the `make serve` layout) on this test's database; its nginx's port.

    Run as it is run: as root on this machine, nginx's workers are ``nobody``.
    The run directory is made under a temporary directory anyone may pass
    through, as ``/tmp`` is.
    """
    base = Path(tempfile.mkdtemp(prefix="hucares-make-serve-"))
    base.chmod(0o755)
    port = free_port()
    env = {
        **server_env(),
        "DJANGO_SETTINGS_MODULE": "hucares.settings.production",
        "TMPDIR": str(base),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "HTTP_PORT": str(free_port()),
        "WS_PORT": str(free_port()),
        "WS_WORKERS": "1",
        "WEB_CONCURRENCY": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(64),
        "EMAIL_URL": "smtp://127.0.0.1:1",  # no mail is sent here
        "LOG_LEVEL": "WARNING",
    }
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "make serve did not answer in time"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health/live", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def test_make_serve_passes_bodies_up_to_the_limit_to_the_app(make_serve: int) -> None:
    # Over nginx's in-memory buffer, a body goes to a temporary file its workers must be able to write.
    for size in (64 * 1024, 5 * 1024 * 1024):
        body = json.dumps({"identifier": "x" * size, "password": "y"})
        response = httpx.post(
            f"http://127.0.0.1:{make_serve}/api/v1/auth/login",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert 400 <= response.status_code < 500, (size, response.status_code, response.text[:300])
        assert response.json()["success"] is False


@pytest.fixture
def gunicorn_port(transactional_db: None) -> Iterator[int]:
    """gunicorn with the shipped docker/gunicorn.conf.py, one worker; its port."""
    port = free_port()
    env = {**server_env(), "HTTP_BIND": "127.0.0.1", "HTTP_PORT": str(port), "WEB_CONCURRENCY": "1"}
    command = [sys.executable, "-m", "gunicorn", "hucares.wsgi:application", "--config", "docker/gunicorn.conf.py"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_takes_each_request_from_the_shared_socket(gunicorn_port: int) -> None:
    # The shipped workers are sync: a worker closes the connection after its answer, so the next request goes
    # to whichever worker is free instead of queueing behind a busy one (docker/gunicorn.conf.py says why).
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn_port, timeout=10)
    try:
        connection.request("GET", "/api/v1/health/live")
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 200
    assert response.getheader("Connection", "").lower() == "close"
