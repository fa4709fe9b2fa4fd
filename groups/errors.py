"""Domain errors of groups and memberships."""

from hucares.core.errors import ApplicationError


class InvalidAccessCode(ApplicationError):
    code = "INVALID_ACCESS_CODE"
    status = 404
    message = "No active group has that access code."


class BannedFromGroup(ApplicationError):
    code = "BANNED_FROM_GROUP"
    status = 403
    message = "You were banned from this group."


class AlreadyMember(ApplicationError):
    code = "ALREADY_MEMBER"
    status = 409
    message = "That user is already a member of this group."


class GroupFull(ApplicationError):
    code = "GROUP_FULL"
    status = 409
    message = "This group has no free seat."


class UserNotFound(ApplicationError):
    code = "USER_NOT_FOUND"
    status = 404
    message = "No user matches that username or email."
