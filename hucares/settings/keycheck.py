"""Refusal of forgeable keys in production (docs/security.md, "Keys").

Anyone who can read the repository can read a key written in it, and with
the key mint a token for any user. So production refuses a key that is
short, that has too few distinct characters to be random, that contains a
placeholder word, that occurs in any file the project ships (the compose
file's old fallback, a benchmark's key, a test's key ...), dot-files
included, or that was once published in the repository's history.
"""

import hashlib
import os
import subprocess  # nosec B404
from collections.abc import Iterator
from pathlib import Path

MIN_LENGTH = 50
# A hex key (`openssl rand -hex 32`) has 16 distinct characters; a
# hand-typed placeholder such as "aaaa...ab" has a handful.
MIN_DISTINCT_CHARACTERS = 12
# Words a human puts into a key meant to be replaced; a random key of 64
# URL-safe characters contains one by chance with a probability below 1e-7.
PLACEHOLDER_WORDS = (
    "change",
    "insecure",
    "secret",
    "placeholder",
    "example",
    "dummy",
    "default",
    "sample",
    "replace",
    "benchmark",
    "bench-only",
    "build-only",
    "not-used",
    "do-not-use",
    "password",
)
# SHA-256 of keys that were committed to the repository once: they stay in
# its history, so they are public forever (docs/operations.md, "Rotating the
# JWT key").
PUBLISHED_KEY_DIGESTS = frozenset({"5695e19fe6e3eb63c2659e66e3899d21b71192d39a7a56508d236e0364052609"})
# Without git (the Docker image), the tree is walked instead. Folders of the
# work tree that are not the project's own files are skipped, and dot-folders
# too (virtualenvs, caches, .git) except these; dot-files are read, except
# the ones where an operator keeps the real keys on the machine (never
# committed: .gitignore and .dockerignore list them).
_SKIPPED_DIRS = frozenset({"node_modules", "staticfiles", "media", "htmlcov", "__pycache__", "out"})
_KEPT_DOT_DIRS = frozenset({".ci", ".github", ".tls"})
_LOCAL_KEY_FILES = frozenset({".env", ".secret_key", ".jwt_signing_key"})
_BINARY_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".woff", ".woff2", ".gz", ".zip"})
_MAX_FILE_BYTES = 4 * 1024 * 1024


def _tracked_files(root: Path) -> list[Path] | None:
    """Every file git tracks under ``root`` (dot-files included), or ``None`` outside a git work tree."""
    try:
        # git from PATH with fixed arguments and no shell: nothing here comes from a request.
        command = ["git", "-C", str(root), "ls-files", "-z"]
        listed = subprocess.run(command, capture_output=True, timeout=30, check=True)  # noqa: S603  # nosec B603
    except (OSError, subprocess.SubprocessError):
        return None
    return [root / name for name in listed.stdout.decode(errors="surrogateescape").split("\0") if name]


def _walked_files(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [
            name for name in dirs if name not in _SKIPPED_DIRS and (not name.startswith(".") or name in _KEPT_DOT_DIRS)
        ]
        for name in files:
            if name not in _LOCAL_KEY_FILES:
                yield Path(folder, name)


def _shipped_files(root: Path) -> Iterator[Path]:
    """The repository's files under ``root``: the tracked ones, or the tree's own without git."""
    tracked = _tracked_files(root)
    for path in tracked if tracked is not None else _walked_files(root):
        if path.suffix.lower() not in _BINARY_SUFFIXES:
            yield path


def found_in_repository(value: str, root: Path) -> Path | None:
    """The first shipped file under ``root`` that contains ``value``, if any."""
    needle = value.encode()
    for path in _shipped_files(root):
        try:
            if path.stat().st_size <= _MAX_FILE_BYTES and needle in path.read_bytes():
                return path
        except OSError:
            continue
    return None


def key_problem(value: str, root: Path) -> str | None:
    """Why ``value`` may not sign anything in production, or ``None`` if it may."""
    if len(value) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"it has fewer than {MIN_DISTINCT_CHARACTERS} distinct characters"
    if hashlib.sha256(value.encode()).hexdigest() in PUBLISHED_KEY_DIGESTS:
        return 'it was published in the repository\'s history (docs/operations.md, "Rotating the JWT key")'
    lowered = value.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered:
            return f"it contains the placeholder word {word!r}"
    found = found_in_repository(value, root)
    if found is not None:
        return f"it is written in the repository ({found.relative_to(root)})"
    return None


def production_key_errors(*, secret_key: str, jwt_signing_key: str, previous_jwt_key: str, root: Path) -> list[str]:
    """Every reason the given keys cannot run production, one sentence each."""
    errors: list[str] = []
    keys = [("SECRET_KEY", secret_key), ("JWT_SIGNING_KEY", jwt_signing_key)]
    if previous_jwt_key:
        keys.append(("JWT_PREVIOUS_SIGNING_KEY", previous_jwt_key))
    for name, value in keys:
        if not value:
            errors.append(f"{name} must be set in production.")
            continue
        problem = key_problem(value, root)
        if problem is not None:
            errors.append(f"{name} is refused in production: {problem}. Generate one with: {GENERATE_HINT}")
    if jwt_signing_key and jwt_signing_key == secret_key:
        errors.append("JWT_SIGNING_KEY must differ from SECRET_KEY.")
    if previous_jwt_key and previous_jwt_key in (jwt_signing_key, secret_key):
        errors.append("JWT_PREVIOUS_SIGNING_KEY must differ from JWT_SIGNING_KEY and SECRET_KEY.")
    return errors


GENERATE_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'"
