import pytest


@pytest.fixture
def pushed(monkeypatch) -> list[tuple[str, dict]]:
    """Live messages handed to the channel layer, recorded instead of sent."""
    sent: list[tuple[str, dict]] = []

    async def record(sends):
        sent.extend(sends)

    monkeypatch.setattr("realtime.publish._send_all", record)
    return sent
