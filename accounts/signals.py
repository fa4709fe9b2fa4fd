"""Domain events of accounts.

- ``account_deleting``: ``user`` (User), sent by :func:`accounts.services.account_delete` *inside* its
  transaction, before the user's row goes: receivers of the apps above ``accounts`` remove what the user
  owns there through their own services (check-ins, memberships, admin roles), so counts, caches and
  events stay right. A receiver that raises rolls the whole deletion back.
- ``profile_updated``: ``user_id`` (UUID), ``changed`` (list of snake_case field names: profile fields,
  ``notification_preferences``, ``privacy_settings``, ``avatar``), sent inside the change's transaction
  (hucares.core.events).
- ``session_revoked``: ``user_id`` (UUID), ``session_ids`` (list of UUID), sent by
  :func:`accounts.services.sessions_revoke` *after* its transaction commits (logout, revocation, password
  change or reset, suspension, deactivation, deletion): receivers end what lives on those sessions
  (the realtime layer closes their sockets).
"""

from django.dispatch import Signal

account_deleting = Signal()
profile_updated = Signal()
session_revoked = Signal()
