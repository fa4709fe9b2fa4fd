"""Domain events of accounts.

- ``account_deleting``: ``user`` (User), sent by :func:`accounts.services.account_delete` *inside* its
  transaction, before the user's row goes: receivers of the apps above ``accounts`` remove what the user
  owns there through their own services (check-ins, memberships, admin roles), so counts, caches and
  events stay right. A receiver that raises rolls the whole deletion back.
- ``profile_updated``: ``user_id`` (UUID), ``changed`` (list of snake_case field names: profile fields,
  ``notification_preferences``, ``privacy_settings``, ``avatar``), sent inside the change's transaction
  (hucares.core.events).
- ``session_revoked``: ``user_id`` (UUID), ``session_ids`` (list of str), ``reason`` (str: ``logout``,
  ``revoked_by_user``, ``password_change``, ``password_reset``, ``suspended``, ``deactivated``,
  ``token_reused``, ...), sent by :func:`accounts.services.sessions_revoke` inside the revoking transaction,
  once per user whose sessions ended: listeners close what those sessions hold open (sockets).
"""

from django.dispatch import Signal

account_deleting = Signal()
profile_updated = Signal()
session_revoked = Signal()
