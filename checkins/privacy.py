"""The one rule of who sees a check-in's scores.

A check-in's scores, energy level, note and emoji are hidden from everyone
but its owner when the check-in is private or its owner's
``privacySettings.scores`` is ``private``. Every read path (REST, live
events, analytics) uses these two functions, so the rule lives here only.
"""

from typing import Any

from django.db.models import Q

from hucares.core.db import json_key_is

HIDDEN_FIELDS = (
    "productive",
    "satisfied",
    "body",
    "care",
    "hu_cares_score",
    "energy_level",
    "reflection_note",
    "mood_emoji",
)


def scores_visible_q(viewer_id: Any, prefix: str = "") -> Q:
    """Rows whose scores ``viewer_id`` may see; ``prefix`` for a relation path (``"check_ins__"``).

    ``json_key_is`` is never NULL: the scores of someone whose settings blob
    lacks the key (who never chose to hide them) stay visible under the NOT.
    """
    owner_hides = json_key_is(f"{prefix}user__privacy_settings", "scores", "private")
    return Q(**{f"{prefix}user_id": viewer_id}) | (Q(**{f"{prefix}is_private": False}) & ~owner_hides)


def scores_hidden(*, owner_id: Any, viewer_id: Any, is_private: bool, owner_privacy: dict[str, Any] | None) -> bool:
    if owner_id == viewer_id:
        return False
    return is_private or (owner_privacy or {}).get("scores") == "private"
