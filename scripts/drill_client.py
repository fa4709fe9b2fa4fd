"""The client side of the fault drills (scripts/drill_*.sh), against a
running `make serve` on 127.0.0.1:PORT:

    drill_client.py register PORT NAME    prints an access token
    drill_client.py get PORT PATH [TOKEN] prints "STATUS CONTENT-TYPE BODY"
    drill_client.py ws PORT TOKEN         exits 0 once the socket says "connected"
"""

import asyncio
import json
import sys

import httpx
import websockets
from websockets.typing import Origin

PASSWORD = "Drill-pass-2024!"  # throwaway accounts on a throwaway stack


def register(port: int, name: str) -> str:
    body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
    response = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/register", json=body, timeout=30)
    response.raise_for_status()
    return str(response.json()["data"]["accessToken"])


def get(port: int, path: str, token: str = "") -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=30)
    return f"{response.status_code} {response.headers.get('content-type', '')} {response.text}"


async def socket(port: int, token: str) -> None:
    url = f"ws://127.0.0.1:{port}/ws/?token={token}"
    async with websockets.connect(url, origin=Origin(f"http://127.0.0.1:{port}")) as ws, asyncio.timeout(15):
        while json.loads(await ws.recv())["event"] != "connected":
            pass


def main(command: str, port: str, *args: str) -> None:
    if command == "register":
        print(register(int(port), args[0]))
    elif command == "get":
        print(get(int(port), *args))
    elif command == "ws":
        asyncio.run(socket(int(port), args[0]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(*sys.argv[1:])
