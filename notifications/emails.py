"""What the notification emails say, built when the outbox sends them (:mod:`hucares.core.outbox`).

The reminder and the invitation are written to the outbox in the transaction
that creates their notifications, so an email exists exactly when its
notification does and goes out once, even if the worker dies meanwhile.
"""

from django.conf import settings

from accounts.models import User
from hucares.core.models import OutboundEmail
from hucares.core.outbox import Mail, renderer

WEEKLY_REMINDER = "weekly_reminder"
GROUP_INVITATION = "group_invitation"


def _active_user(email: OutboundEmail) -> User | None:
    return User.objects.filter(pk=email.user_id, is_active=True).first() if email.user_id else None


@renderer(GROUP_INVITATION)
def group_invitation_email(email: OutboundEmail) -> Mail | None:
    """To an account's current address, or to a bare address (no account yet), inviting them to register."""
    params = email.params
    user = _active_user(email)
    if email.user_id and user is None:
        return None
    greeting = f"Hi {user.username}," if user else "Hi,"
    first_step = "Open HuCares" if user else f"Create your HuCares account at {settings.FRONTEND_URL}/register, then"
    return Mail(
        to=user.email if user else email.to_address,
        subject=f"{params['invitedBy']} invited you to {params['groupName']} on HuCares",
        body=(
            f"{greeting}\n\n{params['invitedBy']} invited you to join the group {params['groupName']}.\n"
            f"{first_step} join with the access code {params['accessCode']}:\n{settings.FRONTEND_URL}/groups/join\n"
        ),
    )


@renderer(WEEKLY_REMINDER)
def weekly_reminder_email(email: OutboundEmail) -> Mail | None:
    user = _active_user(email)
    if user is None:
        return None
    groups = "\n".join(f"- {name}" for name in sorted(email.params["groupNames"]))
    return Mail(
        to=user.email,
        subject="Time for your HuCares check-in",
        body=(
            f"Hi {user.username},\n\nYou have not checked in yet this period in:\n{groups}\n\n"
            f"Check in at {settings.FRONTEND_URL}/checkin\n\n"
            "You can turn these emails off in your notification settings."
        ),
    )
