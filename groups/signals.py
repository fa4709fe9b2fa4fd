"""Domain events of groups, sent by groups.services inside the change's transaction (hucares.core.events).

Receivers (real-time delivery, notifications, cache and analytics
invalidation) get everything they need in the keyword arguments and must not
assume anything else was loaded.

- ``member_joined``: ``group`` (Group), ``membership`` (GroupMembership, with ``user``)
- ``member_left``: ``group``, ``user`` (the member who left)
- ``member_removed``: ``group``, ``user`` (removed), ``by`` (acting user), ``banned`` (bool)
- ``member_invited``: ``group``, ``invitee`` (User), ``by`` (User)
- ``email_invited``: ``group``, ``email`` (str, an address with no account), ``by`` (User)
- ``role_changed``: ``group``, ``membership`` (new role set), ``old_role`` (str), ``by``
- ``group_settings_changed``: ``group``, ``changed`` (list of snake_case field names), ``by``
- ``group_deleted``: ``group_id`` (UUID), ``group_name`` (str), ``member_ids`` (list of UUID), ``by``
"""

from django.dispatch import Signal

member_joined = Signal()
member_left = Signal()
member_removed = Signal()
member_invited = Signal()
email_invited = Signal()
role_changed = Signal()
group_settings_changed = Signal()
group_deleted = Signal()
