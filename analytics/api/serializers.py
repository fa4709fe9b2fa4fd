"""Query validation and the documented shapes of the analytics payloads (snake_case; camelCase on the wire)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from groups.models import CheckInFrequency

MAX_WEEKS = 104
DEFAULT_WEEKS = 12


class WeeksQuerySerializer(serializers.Serializer[dict[str, object]]):
    weeks = serializers.IntegerField(min_value=1, max_value=MAX_WEEKS, default=DEFAULT_WEEKS)


class PersonalQuerySerializer(WeeksQuerySerializer):
    group_id = serializers.UUIDField(required=False)


class ComparisonQuerySerializer(WeeksQuerySerializer):
    group_id = serializers.UUIDField()


class ScoresSerializer(serializers.Serializer[dict[str, object]]):
    productive = serializers.FloatField(allow_null=True)
    satisfied = serializers.FloatField(allow_null=True)
    body = serializers.FloatField(allow_null=True)
    care = serializers.FloatField(allow_null=True)
    hu_cares_score = serializers.FloatField(allow_null=True)


class WeekPointSerializer(ScoresSerializer):
    week_start_date = serializers.DateField()


class ExtremeWeekSerializer(serializers.Serializer[dict[str, object]]):
    week_start_date = serializers.DateField()
    hu_cares_score = serializers.FloatField()


class StreakSerializer(serializers.Serializer[dict[str, object]]):
    current = serializers.IntegerField()
    longest = serializers.IntegerField()


class PersonalAnalyticsSerializer(serializers.Serializer[dict[str, object]]):
    weeks = serializers.IntegerField()
    group_id = serializers.UUIDField(allow_null=True)
    from_date = serializers.DateField()
    check_in_count = serializers.IntegerField()
    series = WeekPointSerializer(many=True)
    averages = ScoresSerializer()
    trends = ScoresSerializer(help_text="Least-squares slope per week of each dimension; null with < 2 weeks.")
    streak = StreakSerializer()
    best = ExtremeWeekSerializer(allow_null=True)
    worst = ExtremeWeekSerializer(allow_null=True)


class GroupPeriodSerializer(serializers.Serializer[dict[str, object]]):
    week_start_date = serializers.DateField(help_text="First day of the group's period.")
    check_in_count = serializers.IntegerField()
    member_count = serializers.IntegerField()
    participation_rate = serializers.FloatField(allow_null=True, help_text="0..1; null without members.")
    averages = ScoresSerializer()


class GroupOverallSerializer(serializers.Serializer[dict[str, object]]):
    total_check_ins = serializers.IntegerField()
    member_count = serializers.IntegerField()
    average_participation_rate = serializers.FloatField(allow_null=True)
    averages = ScoresSerializer()


class GroupAnalyticsSerializer(serializers.Serializer[dict[str, object]]):
    weeks = serializers.IntegerField()
    group_id = serializers.UUIDField()
    check_in_frequency = serializers.ChoiceField(choices=CheckInFrequency.choices)
    periods = GroupPeriodSerializer(many=True)
    overall = GroupOverallSerializer()


class DimensionComparisonSerializer(serializers.Serializer[dict[str, object]]):
    dimension = serializers.ChoiceField(choices=["productive", "satisfied", "body", "care", "huCaresScore"])
    mine = serializers.FloatField(allow_null=True)
    group = serializers.FloatField(allow_null=True)
    difference = serializers.FloatField(allow_null=True)
    percentile = serializers.FloatField(
        allow_null=True, help_text="Share of the other compared members below mine (ties count half), 0..100."
    )


class ComparisonSerializer(serializers.Serializer[dict[str, object]]):
    group_id = serializers.UUIDField()
    weeks = serializers.IntegerField()
    from_date = serializers.DateField()
    my_check_ins = serializers.IntegerField()
    group_check_ins = serializers.IntegerField()
    members_compared = serializers.IntegerField()
    dimensions = DimensionComparisonSerializer(many=True)


# Built with inline_serializer: a declared field called ``data`` would shadow Serializer.data.
INSIGHT_LIST = inline_serializer(
    name="Insight",
    many=True,
    fields={
        "type": serializers.ChoiceField(
            choices=[
                "trend_up",
                "trend_down",
                "streak",
                "weakest_dimension",
                "strongest_dimension",
                "correlation",
                "participation_drop",
                "group_comparison",
            ]
        ),
        "severity": serializers.ChoiceField(choices=["positive", "info", "warning"]),
        "title": serializers.CharField(),
        "message": serializers.CharField(),
        "data": serializers.DictField(help_text="Figures behind the finding; keys are camelCase."),
    },
)
