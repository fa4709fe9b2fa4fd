"""Domain events of check-ins, sent by checkins.services only after the transaction commits.

- ``checkin_submitted``: ``check_in`` (CheckIn, with ``user`` and ``group`` loaded)
- ``checkin_updated``: ``check_in`` (as above)
- ``checkin_deleted``: ``check_in_id``, ``user_id``, ``group_id`` (UUIDs), ``week_start_date`` (date)
"""

from django.dispatch import Signal

checkin_submitted = Signal()
checkin_updated = Signal()
checkin_deleted = Signal()
