"""Exceptions: one per kind of refusal, each carrying the API's code, message and request id."""

from __future__ import annotations

from typing import Optional


class GatehouseError(Exception):
    """A request Gatehouse refused or could not answer.

    ``code`` and ``message`` come from the API's error body; quote ``request_id`` when reporting
    a problem (it is in the server's log too). A token never appears in any of them.
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: str = "error",
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        suffix = f" (request id {self.request_id})" if self.request_id else ""
        return f"{self.message}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class InvalidRequest(GatehouseError):
    """400: a parameter is missing or malformed; the message names it."""


class NotAuthenticated(GatehouseError):
    """401: no token, or a malformed, unknown, expired or revoked one."""


class PermissionDenied(GatehouseError):
    """403: the token is valid but its role (collaborator) may not do this."""


class NotFound(GatehouseError):
    """404: no such user, service account or key."""


class Conflict(GatehouseError):
    """409: a duplicate name, or the organisation's last owner."""


class RateLimited(GatehouseError):
    """429: too many requests from this address; retry after ``retry_after`` seconds."""

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: str = "rate_limited",
        request_id: Optional[str] = None,
        retry_after: Optional[int] = None,
    ) -> None:
        super().__init__(message, status=status, code=code, request_id=request_id)
        self.retry_after = retry_after


BY_STATUS = {
    400: InvalidRequest,
    401: NotAuthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: InvalidRequest,
    429: RateLimited,
}
