import pytest


@pytest.fixture(autouse=True)
def _fast_realtime(settings) -> None:
    # Short waits where a test waits for a deadline; the rules are the same.
    settings.REALTIME_AUTH_TIMEOUT = 0.5
