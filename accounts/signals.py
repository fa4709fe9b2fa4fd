"""Domain events of accounts, sent by accounts.services only after the transaction commits.

- ``profile_updated``: ``user_id`` (UUID), ``changed`` (list of snake_case field names: profile fields,
  ``notification_preferences``, ``privacy_settings``, ``avatar``)
"""

from django.dispatch import Signal

profile_updated = Signal()
