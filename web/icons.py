"""Draw the app's PNG icons (a white heart on the app's green) with the standard
library only, so no image tool is needed. The PNGs are committed; a test checks
they are what this draws. Run: python -m web.icons"""

import struct
import zlib
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent / "static" / "web"
SIZES = (192, 512)
GREEN = (0x2F, 0x6F, 0x5E)
WHITE = (0xFF, 0xFF, 0xFF)
# Supersampling per axis: smooth edges without an image library.
SAMPLES = 3


def inside_heart(x: float, y: float) -> bool:
    """The heart curve (x² + y² − 1)³ − x²y³ ≤ 0, y pointing up."""
    return (x * x + y * y - 1) ** 3 - x * x * y**3 <= 0


def pixel(size: int, column: int, row: int) -> bytes:
    # The heart fills the middle 60 %: inside the safe zone of a maskable icon.
    hits = 0
    for sub_x in range(SAMPLES):
        for sub_y in range(SAMPLES):
            u = (column + (sub_x + 0.5) / SAMPLES) / size
            v = (row + (sub_y + 0.5) / SAMPLES) / size
            hits += inside_heart((u - 0.5) * 4.2, (0.46 - v) * 4.2)
    share = hits / SAMPLES**2
    return bytes(round(g + (w - g) * share) for g, w in zip(GREEN, WHITE, strict=True))


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def draw(size: int) -> bytes:
    rows = b"".join(b"\x00" + b"".join(pixel(size, column, row) for column in range(size)) for row in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def icon_path(size: int) -> Path:
    return ICON_DIR / f"icon-{size}.png"


if __name__ == "__main__":
    for size in SIZES:
        icon_path(size).write_bytes(draw(size))
