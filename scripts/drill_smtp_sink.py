"""A mail server for the drills: ``python scripts/drill_smtp_sink.py PORT MAIL_DIR CONTROL_DIR``.

Speaks enough SMTP for Django's SMTP backend on 127.0.0.1:PORT and writes
each accepted message to MAIL_DIR (one file each, written whole). Two files
in CONTROL_DIR hold a sender at the two points a crash matters, so a drill
can kill it there; the sink touches ``CONTROL_DIR/held`` while it holds one:

- ``hold-data``: the message is in, but not yet accepted (no reply to the
  end of DATA). Once the file is removed the message is dropped unaccepted.
- ``hold-quit``: the message is accepted (written, 250 sent), the reply to
  QUIT waits: the sender cannot record the send before it is released.
"""

import asyncio
import sys
import time
from pathlib import Path

MAIL_DIR = Path(sys.argv[2])
CONTROL_DIR = Path(sys.argv[3])
_count = 0


async def _hold(name: str) -> bool:
    """Wait while ``CONTROL_DIR/name`` exists; whether it did."""
    flag = CONTROL_DIR / name
    if not flag.exists():
        return False
    (CONTROL_DIR / "held").touch()
    while flag.exists():
        await asyncio.sleep(0.05)
    return True


def _store(message: bytes) -> None:
    global _count
    _count += 1
    name = f"{time.time():.6f}-{_count}.eml"
    partial = MAIL_DIR / f".{name}"
    partial.write_bytes(message)
    partial.rename(MAIL_DIR / name)


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    def reply(line: str) -> None:
        writer.write(f"{line}\r\n".encode())

    reply("220 drill-sink ESMTP")
    try:
        while line := await reader.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith("EHLO"):
                writer.write(b"250-drill-sink\r\n250 8BITMIME\r\n")
            elif command.startswith(("HELO", "MAIL", "RCPT", "RSET", "NOOP")):
                reply("250 OK")
            elif command == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                await writer.drain()
                lines = []
                while (data := await reader.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                if await _hold("hold-data"):
                    return  # released: the message was never accepted
                _store(b"".join(lines))
                reply("250 OK: queued")
            elif command == "QUIT":
                await _hold("hold-quit")
                reply("221 Bye")
                await writer.drain()
                return
            else:
                reply("502 Command not implemented")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(_session, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
