"""Documented shapes of the localStorage import and rollback (snake_case; camelCase on the wire)."""

from rest_framework import serializers


class SkippedCheckInSerializer(serializers.Serializer[dict[str, object]]):
    index = serializers.IntegerField(help_text="Position in the export's checkIns array.")
    reason = serializers.CharField()


class ImportWarningSerializer(serializers.Serializer[dict[str, object]]):
    index = serializers.IntegerField(allow_null=True, help_text="The check-in it concerns; null for the whole file.")
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer[dict[str, object]]):
    import_id = serializers.UUIDField(allow_null=True, help_text="null for a dry run: nothing was kept.")
    dry_run = serializers.BooleanField()
    timezone = serializers.CharField(help_text="The timezone the old weekStartDate instants were read in.")
    groups_created = serializers.IntegerField()
    groups_matched = serializers.IntegerField()
    check_ins_imported = serializers.IntegerField()
    check_ins_skipped = SkippedCheckInSerializer(many=True)
    warnings = ImportWarningSerializer(many=True)


class KeptGroupSerializer(serializers.Serializer[dict[str, object]]):
    group_id = serializers.UUIDField()
    reason = serializers.CharField()


class RollbackReportSerializer(serializers.Serializer[dict[str, object]]):
    import_id = serializers.UUIDField()
    check_ins_removed = serializers.IntegerField()
    groups_removed = serializers.IntegerField()
    groups_kept = KeptGroupSerializer(many=True)
