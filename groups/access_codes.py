"""Group access codes: short, typeable, and random enough not to be guessed."""

import secrets

# Upper-case letters and digits without the look-alikes 0/O, 1/I/L and 5/S, 2/Z.
ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
LENGTH = 8


def generate_access_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_access_code(raw: str) -> str:
    """Codes are matched case-insensitively: they are stored upper-case."""
    return raw.strip().upper()


def is_access_code(code: str) -> bool:
    """Whether a normalized code has today's format (an old app's code may not)."""
    return len(code) == LENGTH and not set(code) - set(ALPHABET)
