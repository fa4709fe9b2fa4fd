"""Domain events of check-ins, sent by checkins.services inside the change's transaction (hucares.core.events).

- ``checkin_submitted``: ``check_in`` (CheckIn, with ``user`` and ``group`` loaded)
- ``checkin_updated``: ``check_in`` (as above)
- ``checkin_deleted``: ``check_in_id``, ``user_id``, ``group_id`` (UUIDs), ``week_start_date`` (date)

Receivers write their rows (the members' notifications, the event streams) in
that transaction and defer anything else until it commits; a receiver that
raises rolls the check-in back.
"""

from django.dispatch import Signal

checkin_submitted = Signal()
checkin_updated = Signal()
checkin_deleted = Signal()
