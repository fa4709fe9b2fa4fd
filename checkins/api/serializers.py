from typing import Any

from rest_framework import serializers

from hucares.core.api import StrictIntegerField
from hucares.core.serializers import StrictSerializer


def _score() -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=10)


class CheckInWriteSerializer(StrictSerializer):
    """The editable fields of a check-in; scores are whole numbers 1-10."""

    productive = _score()
    satisfied = _score()
    body = _score()
    care = _score()
    reflection_note = serializers.CharField(max_length=2000, allow_blank=True, allow_null=True, required=False)
    mood_emoji = serializers.CharField(
        max_length=10, allow_blank=True, allow_null=True, required=False, trim_whitespace=False
    )
    energy_level = StrictIntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    is_private = serializers.BooleanField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # null and "" mean "no note": stored as the empty string.
        for name in ("reflection_note", "mood_emoji"):
            if name in attrs and attrs[name] is None:
                attrs[name] = ""
        return attrs


class CheckInSubmitSerializer(CheckInWriteSerializer):
    group_id = serializers.UUIDField()


class CheckInSerializer(serializers.Serializer[Any]):
    """The CheckIn of the API (documentation of what the selectors produce).
    Scores, energy level, note and emoji are null when hidden from the viewer."""

    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    username = serializers.CharField()
    group_id = serializers.UUIDField()
    week_start_date = serializers.DateField()
    productive = serializers.IntegerField(allow_null=True)
    satisfied = serializers.IntegerField(allow_null=True)
    body = serializers.IntegerField(allow_null=True)
    care = serializers.IntegerField(allow_null=True)
    hu_cares_score = serializers.IntegerField(allow_null=True)
    reflection_note = serializers.CharField(allow_null=True)
    mood_emoji = serializers.CharField(allow_null=True)
    energy_level = serializers.IntegerField(allow_null=True)
    is_private = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CurrentPeriodSerializer(serializers.Serializer[Any]):
    group_id = serializers.UUIDField()
    group_name = serializers.CharField()
    period_start = serializers.DateField()
    check_in = CheckInSerializer(allow_null=True)
