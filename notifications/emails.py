"""What the notification emails say, built when the outbox sends them (:mod:`hucares.core.outbox`).

The reminder and the invitation are written to the outbox in the transaction
that creates their notifications, so an email exists exactly when its
notification does and goes out once, even if the worker dies meanwhile.
"""

import json

from django.conf import settings

from accounts.models import User
from hucares.core.models import OutboundEmail
from hucares.core.outbox import Mail, renderer

WEEKLY_REMINDER = "weekly_reminder"
GROUP_INVITATION = "group_invitation"


def _active_user(email: OutboundEmail) -> User | None:
    return User.objects.filter(pk=email.user_id, is_active=True).first() if email.user_id else None


# Group names are typed by anyone who registers: they never go into a subject,
# and the body quotes them as data (JSON string quoting, so no line break or
# quote in a name can pass for the mail's own text).
INVITATION_SUBJECT = "You are invited to a group on HuCares"


def quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@renderer(GROUP_INVITATION)
def group_invitation_email(email: OutboundEmail) -> Mail | None:
    """To an account's current address, or to a bare address (no account yet), inviting it to register first."""
    params = email.params
    by, group, code = params["invitedBy"], quoted(params["groupName"]), params["accessCode"]
    if email.user_id is None:
        if User.objects.filter(email__iexact=email.to_address).exists():
            return None  # the address has registered since: an invitation to register would be wrong
        return Mail(
            to=email.to_address,
            subject=INVITATION_SUBJECT,
            body=(
                f"Hi,\n\nThe HuCares user {by} invited you to join a group on HuCares, "
                "where small groups of friends check in with each other every week.\n"
                f"The group's name, as its creator wrote it: {group}\n"
                f"Create your account at {settings.FRONTEND_URL}/register, then join with the access code "
                f"{code}:\n{settings.FRONTEND_URL}/groups/join\n\n"
                "If you do not know the sender, ignore this email: nothing happens unless you register."
            ),
        )
    user = _active_user(email)
    if user is None:
        return None
    return Mail(
        to=user.email,
        subject=INVITATION_SUBJECT,
        body=(
            f"Hi {user.username},\n\n{by} invited you to join a group.\n"
            f"The group's name, as its creator wrote it: {group}\n"
            f"Open HuCares and join with the access code {code}:\n{settings.FRONTEND_URL}/groups/join\n"
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
