"""Domain events of check-ins, sent by checkins.services only after the transaction commits (all but one).

- ``checkin_submitted``: ``check_in`` (CheckIn, with ``user`` and ``group`` loaded)
- ``checkin_updated``: ``check_in`` (as above)
- ``checkin_deleted``: ``check_in_id``, ``user_id``, ``group_id`` (UUIDs), ``week_start_date`` (date)
- ``checkin_recorded``: ``check_in`` (as above), sent *inside* the check-in's transaction, before commit:
  its receivers write rows (the members' notifications) that must commit or roll back with the check-in.
  A receiver that raises rolls the check-in back.
"""

from django.dispatch import Signal

checkin_submitted = Signal()
checkin_updated = Signal()
checkin_deleted = Signal()
checkin_recorded = Signal()
