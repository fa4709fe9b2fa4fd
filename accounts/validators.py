import re

from django.core.exceptions import ValidationError

from accounts.models import User


class PasswordComplexityValidator:
    """8–128 characters with at least one upper-case letter, one lower-case letter and one digit."""

    max_length = 128

    def validate(self, password: str, user: User | None = None) -> None:
        problems = []
        if len(password) > self.max_length:
            problems.append(f"Password must be at most {self.max_length} characters.")
        if not re.search(r"[A-Z]", password):
            problems.append("Password must contain an upper-case letter.")
        if not re.search(r"[a-z]", password):
            problems.append("Password must contain a lower-case letter.")
        if not re.search(r"\d", password):
            problems.append("Password must contain a digit.")
        if problems:
            raise ValidationError(problems, code="password_complexity")

    def get_help_text(self) -> str:
        return "Your password needs 8–128 characters with an upper-case letter, a lower-case letter and a digit."
