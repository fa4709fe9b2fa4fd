import io
import json

import pytest
from django.core.management import call_command

from checkins.models import CheckIn
from groups.models import Group


@pytest.mark.django_db
def test_bench_seed_prints_credentials_and_replaces_its_previous_data() -> None:
    call_command("seed_analytics_bench", members=3, weeks=4, stdout=io.StringIO())
    out = io.StringIO()
    call_command("seed_analytics_bench", members=3, weeks=4, stdout=out)

    report = json.loads(out.getvalue())
    group = Group.objects.get()
    assert report["groupId"] == str(group.pk)
    assert len(report["emails"]) == 3
    assert report["checkIns"] == CheckIn.objects.count() == group.total_check_ins
    assert group.memberships.count() == 3
