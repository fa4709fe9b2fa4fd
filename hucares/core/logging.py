"""JSON log lines carrying the request id and user id; secrets redacted."""

import logging
import re
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .context import request_id_var, user_id_var

_SECRET = re.compile(r"((?:access_?|refresh_?)?token|password|secret)=([^&\s\"']+)", re.IGNORECASE)
# The WebSocket subprotocol that carries an access token (realtime.middleware).
_AUTH_SUBPROTOCOL = re.compile(r"(hucares\.auth\.)[^,\s\"']+")


def redact(text: str) -> str:
    """``/ws/?token=abc`` -> ``/ws/?token=[redacted]``; ``hucares.auth.abc`` -> ``hucares.auth.[redacted]``."""
    return _AUTH_SUBPROTOCOL.sub(r"\1[redacted]", _SECRET.sub(r"\1=[redacted]", text))


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.requestId = request_id_var.get()
        if not hasattr(record, "userId"):
            record.userId = user_id_var.get()
        if isinstance(record.msg, str) and ("=" in record.msg or "hucares.auth." in record.msg):
            record.msg = redact(record.msg)
        if isinstance(record.args, Mapping):  # "%(name)s"-style messages (Celery's)
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_redacted(value) for value in record.args)
        return True


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class JsonFormatter(_JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)
