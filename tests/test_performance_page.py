"""docs/performance.md stays one page of current figures; the history of the runs lives in docs/archive/."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "performance.md"
MAX_BYTES = 15 * 1024


def test_the_performance_page_is_one_page() -> None:
    assert len(PAGE.read_bytes()) <= MAX_BYTES


def test_every_section_other_pages_name_exists() -> None:
    headings = set(re.findall(r"^#+ (.+)$", PAGE.read_text(), re.MULTILINE))
    sources = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
    named = set()
    for source in sources:
        text = " ".join(source.read_text().split())  # a name may be wrapped over two lines
        named |= set(re.findall(r"performance\.md` \(`#+ ([^`]+)`\)", text))
        named |= set(re.findall(r"performance\.md` \(\"([^\"]+)\"", text))
    assert named, "no reference found: the patterns above are out of date"
    # A heading may go on with its command: "Cache backend (django-redis against ...)".
    assert named <= headings | {heading.split(" (")[0] for heading in headings}
