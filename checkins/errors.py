"""Domain errors of check-ins."""

from hucares.core.errors import ApplicationError


class DuplicateCheckIn(ApplicationError):
    code = "DUPLICATE_CHECKIN"
    status = 409
    message = "You have already checked in for this period."


class CheckInPeriodClosed(ApplicationError):
    code = "CHECKIN_PERIOD_CLOSED"
    status = 422
    message = "This check-in's period is over; it can no longer be changed."
