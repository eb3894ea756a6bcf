"""Gatehouse's Python SDK: ``from gatehouse import Gatehouse``."""

from ._client import ApiKeys, Credentials, Gatehouse, ServiceAccounts, Users
from ._errors import (
    Conflict,
    GatehouseError,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from ._models import (
    ApiKey,
    Identity,
    IdentityProvider,
    IdpCertificate,
    Member,
    NewApiKey,
    NewToken,
    RemovedMember,
    ServiceAccount,
    TokenInfo,
    TokenPolicy,
)

__all__ = [
    "ApiKey",
    "ApiKeys",
    "Conflict",
    "Credentials",
    "Gatehouse",
    "GatehouseError",
    "Identity",
    "IdentityProvider",
    "IdpCertificate",
    "InvalidRequest",
    "Member",
    "NewApiKey",
    "NewToken",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RemovedMember",
    "ServiceAccount",
    "ServiceAccounts",
    "TokenInfo",
    "TokenPolicy",
    "Users",
]
__version__ = "0.1.0"
