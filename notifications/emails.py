"""Emails that go with some notifications; sent only after commit by the callers."""

from django.conf import settings
from django.core.mail import send_mail

from accounts.models import User


def send_group_invitation_email(*, to: User, group_name: str, access_code: str, invited_by: str) -> None:
    send_mail(
        subject=f"{invited_by} invited you to {group_name} on HuCares",
        message=(
            f"Hi {to.username},\n\n{invited_by} invited you to join the group {group_name}.\n"
            f"Open HuCares and join with the access code {access_code}:\n{settings.FRONTEND_URL}/groups/join\n"
        ),
        from_email=None,
        recipient_list=[to.email],
    )


def send_registration_invitation_email(*, to_email: str, group_name: str, access_code: str, invited_by: str) -> None:
    """To an address without an account: the invitation, and how to register first."""
    send_mail(
        subject=f"{invited_by} invited you to {group_name} on HuCares",
        message=(
            f"Hi,\n\n{invited_by} invited you to join the group {group_name} on HuCares, "
            "where small groups of friends check in with each other every week.\n"
            f"Create your account at {settings.FRONTEND_URL}/register, then join with the access code "
            f"{access_code}:\n{settings.FRONTEND_URL}/groups/join\n\n"
            "If you do not know the sender, ignore this email: nothing happens unless you register."
        ),
        from_email=None,
        recipient_list=[to_email],
    )


def send_weekly_reminder_email(*, to: User, group_names: list[str]) -> None:
    groups = "\n".join(f"- {name}" for name in sorted(group_names))
    send_mail(
        subject="Time for your HuCares check-in",
        message=(
            f"Hi {to.username},\n\nYou have not checked in yet this period in:\n{groups}\n\n"
            f"Check in at {settings.FRONTEND_URL}/checkin\n\n"
            "You can turn these emails off in your notification settings."
        ),
        from_email=None,
        recipient_list=[to.email],
    )
