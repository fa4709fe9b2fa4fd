"""README.md stays a page a newcomer reads in ten minutes; detail lives in docs/."""

from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_stays_under_ten_kilobytes() -> None:
    assert len(README.read_bytes()) < 10_000


def test_the_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make test" in text
