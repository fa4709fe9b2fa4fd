"""Domain events of accounts.

- ``account_deleting``: ``user`` (User), sent by :func:`accounts.services.account_delete` *inside* its
  transaction, before the user's row goes: receivers of the apps above ``accounts`` remove what the user
  owns there through their own services (check-ins, memberships, admin roles), so counts, caches and
  events stay right. A receiver that raises rolls the whole deletion back.
- ``verification_email_requested``, ``password_reset_requested``: ``user_id`` (str), sent inside the
  requesting transaction; :mod:`accounts.receivers` queues the email task once it commits. The tasks
  call the services, so the services reach the tasks only through these signals (no import cycle).
- ``profile_updated``: ``user_id`` (UUID), ``changed`` (list of snake_case field names: profile fields,
  ``notification_preferences``, ``privacy_settings``, ``avatar``), sent after the transaction commits.
"""

from django.dispatch import Signal

account_deleting = Signal()
verification_email_requested = Signal()
password_reset_requested = Signal()
profile_updated = Signal()
