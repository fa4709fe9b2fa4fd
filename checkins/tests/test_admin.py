"""Check-ins in the admin: hidden scores stay hidden from moderators and superusers, nobody edits scores,
and a moderator removes an abusive note through the service, recorded in the admin log."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry

from accounts.tests.factories import UserFactory
from checkins import signals
from checkins.models import CheckIn
from checkins.tests.factories import CheckInFactory
from groups.tests.helpers import recording

pytestmark = pytest.mark.django_db

LIST = "/admin/checkins/checkin/"
HIDDEN_SCORE_CELLS = (b"field-productive", b"field-hu_cares_score", b"field-energy_level", b"field-mood_emoji")


@pytest.fixture
def check_ins():
    """A private check-in (22), one of an owner who hides all scores (24), and a visible one (13)."""
    private = CheckInFactory.create(
        productive=9, satisfied=8, body=7, care=2, is_private=True, reflection_note="my secret words", energy_level=4
    )
    owner = UserFactory.create(privacy_settings={"profile": "friends", "scores": "private"})
    hiding = CheckInFactory.create(
        user=owner, productive=9, satisfied=9, body=8, care=2, reflection_note="also secret", mood_emoji="🙂"
    )
    visible = CheckInFactory.create(
        productive=5,
        satisfied=4,
        body=6,
        care=2,
        reflection_note="plain words",
        week_start_date=datetime.date(2025, 2, 3),
    )
    return private, hiding, visible


@pytest.fixture(params=["moderator_client", "superuser_client"])
def staff_client(request):
    return request.getfixturevalue(request.param)


def test_the_list_shows_hidden_scores_as_hidden(staff_client, check_ins):
    content = staff_client.get(LIST).content
    assert content.count(b'<td class="field-score">hidden</td>') == 2
    assert b'<td class="field-score">13</td>' in content
    assert b'<td class="field-score">22</td>' not in content
    assert b'<td class="field-score">24</td>' not in content
    assert b"secret" not in content


@pytest.mark.parametrize("which", [0, 1])
def test_a_hidden_check_in_page_shows_its_metadata_only(staff_client, check_ins, which):
    check_in = check_ins[which]
    response = staff_client.get(f"{LIST}{check_in.pk}/change/")
    assert response.status_code == 200
    assert b"field-week_start_date" in response.content
    assert b"secret" not in response.content
    assert b"field-reflection_note" not in response.content
    assert not any(cell in response.content for cell in HIDDEN_SCORE_CELLS)
    # The object's name (page titles, the admin log) carries no score.
    assert str(check_in) == f"check-in of {check_in.user_id} for {check_in.week_start_date}"


def test_a_visible_check_in_page_shows_scores_and_note_read_only(moderator_client, check_ins):
    visible = check_ins[2]
    page = moderator_client.get(f"{LIST}{visible.pk}/change/").content
    assert b"plain words" in page
    assert all(cell in page for cell in HIDDEN_SCORE_CELLS)
    assert b'name="productive"' not in page  # no input: read-only


@pytest.mark.parametrize("which", [0, 2])
def test_staff_cannot_change_a_members_scores(staff_client, check_ins, which):
    check_in = check_ins[which]
    before = CheckIn.objects.values().get(pk=check_in.pk)
    staff_client.post(
        f"{LIST}{check_in.pk}/change/",
        {"productive": 1, "satisfied": 1, "body": 1, "care": 10, "reflection_note": "", "is_private": ""},
    )
    assert CheckIn.objects.values().get(pk=check_in.pk) == before


@pytest.mark.parametrize(
    "query",
    ["productive=9", "hu_cares_score__gte=20", "reflection_note__icontains=secret", "mood_emoji=🙂", "care__lt=3"],
)
def test_hidden_fields_cannot_be_filtered_on_through_the_url(staff_client, check_ins, query):
    # Otherwise the rows a filter keeps would tell a hidden score or note.
    assert staff_client.get(f"{LIST}?{query}").status_code == 400


def test_search_finds_hidden_check_ins_by_their_metadata_never_by_their_note(moderator_client, check_ins):
    private = check_ins[0]
    assert moderator_client.get(f"{LIST}?q=secret").context["cl"].result_count == 0
    found = moderator_client.get(f"{LIST}?q={private.user.username}").context["cl"].result_list
    assert [check_in.pk for check_in in found] == [private.pk]


def test_moderator_removes_an_abusive_note_through_the_service(
    moderator, moderator_client, check_ins, django_capture_on_commit_callbacks
):
    visible = check_ins[2]
    with recording(signals.checkin_updated) as (updated,), django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(LIST, {"action": "remove_notes", "_selected_action": [str(visible.pk)]})
    assert response.status_code == 302
    visible.refresh_from_db()
    assert (visible.reflection_note, visible.hu_cares_score) == ("", 13)
    assert [call["check_in"].pk for call in updated] == [visible.pk]
    entry = LogEntry.objects.get(object_id=str(visible.pk))
    assert (entry.user_id, entry.get_change_message()) == (moderator.pk, "Removed the reflection note for abuse.")
    # The log names the check-in by its author's id and period, never by a score (ids may contain digits).
    assert entry.object_repr == f"check-in of {visible.user_id} for {visible.week_start_date}"


def test_the_only_bulk_action_on_check_ins_is_removing_notes(moderator_client, superuser_client, check_ins):
    # No export or other bulk action that could carry hidden scores out of the admin.
    for client in (moderator_client, superuser_client):
        actions = client.get(LIST).context["action_form"].fields["action"].choices
        assert [name for name, _ in actions if name] == ["remove_notes"]
