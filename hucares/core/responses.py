from typing import Any

from rest_framework.response import Response


class ApiResponse(Response):
    """A DRF response that can carry the envelope's ``message`` and extra ``meta``."""

    def __init__(
        self,
        data: Any = None,
        status: int | None = None,
        *,
        message: str | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(data, status=status, headers=headers)
        self.envelope_message = message
        self.envelope_meta = meta or {}
