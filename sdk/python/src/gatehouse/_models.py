"""What the API answers with, as typed, immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple


def _opt_int(value: Any) -> Optional[int]:
    return None if value is None else int(value)


def _opt_str(value: Any) -> Optional[str]:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Identity:
    """Who a token acts as: a person or a service account."""

    id: str
    email: str
    kind: str
    role: str
    organization_id: str
    organization_name: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Identity:
        return cls(
            id=str(data["id"]),
            email=str(data["email"]),
            kind=str(data["kind"]),
            role=str(data["role"]),
            organization_id=str(data["organization_id"]),
            organization_name=str(data["organization_name"]),
        )


@dataclass(frozen=True)
class TokenInfo:
    """A token or key as listed: never its secret, only its last six characters."""

    id: str
    name: str
    last_six: str
    created_at: int
    last_used_at: Optional[int]
    expires_at: Optional[int] = None
    last_used_ip: Optional[str] = None
    last_used_user_agent: Optional[str] = None
    allowed_cidrs: Tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenInfo:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            last_six=str(data["last_six"]),
            created_at=int(data["created_at"]),
            last_used_at=_opt_int(data.get("last_used_at")),
            expires_at=_opt_int(data.get("expires_at")),
            last_used_ip=_opt_str(data.get("last_used_ip")),
            last_used_user_agent=_opt_str(data.get("last_used_user_agent")),
            allowed_cidrs=tuple(str(c) for c in data.get("allowed_cidrs") or ()),
        )


@dataclass(frozen=True)
class NewToken:
    """A token just issued. ``token`` is shown this once; ``repr`` shows only its last six."""

    token: str
    info: TokenInfo

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NewToken:
        return cls(token=str(data["token"]), info=TokenInfo.from_json(data["info"]))

    def __repr__(self) -> str:
        return f"NewToken(token='…{self.info.last_six}', info={self.info!r})"


#: A service-account key just issued (same shape as a personal token).
NewApiKey = NewToken


@dataclass(frozen=True)
class Member:
    """A member of the organisation: a person or a service account."""

    id: str
    email: str
    name: str
    role: str
    is_service_account: bool
    created_at: int
    last_sign_in_at: Optional[int]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Member:
        return cls(
            id=str(data["id"]),
            email=str(data["email"]),
            name=str(data["name"]),
            role=str(data["role"]),
            is_service_account=bool(data["is_service_account"]),
            created_at=int(data["created_at"]),
            last_sign_in_at=_opt_int(data.get("last_sign_in_at")),
        )


@dataclass(frozen=True)
class RemovedMember:
    """Someone an owner removed: their sign-ins are refused until an owner allows them back."""

    email: str
    removed_at: int
    removed_by: Optional[str]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RemovedMember:
        return cls(
            email=str(data["email"]),
            removed_at=int(data["removed_at"]),
            removed_by=_opt_str(data.get("removed_by")),
        )


@dataclass(frozen=True)
class ServiceAccount:
    """A non-human identity: ``<name>@org-<organization id>.serviceaccount.com``."""

    id: str
    name: str
    email: str
    role: str
    active_keys: int
    created_at: int
    created_by: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceAccount:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            email=str(data["email"]),
            role=str(data["role"]),
            active_keys=int(data["active_keys"]),
            created_at=int(data["created_at"]),
            created_by=str(data["created_by"]),
        )


@dataclass(frozen=True)
class ApiKey:
    """An active key in the organisation's keys view."""

    id: str
    owner_kind: str
    owner_email: Optional[str]
    name: str
    last_six: str
    created_at: int
    created_by: Optional[str]
    last_used_at: Optional[int]
    expires_at: Optional[int] = None
    last_used_ip: Optional[str] = None
    last_used_user_agent: Optional[str] = None
    allowed_cidrs: Tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApiKey:
        return cls(
            id=str(data["id"]),
            owner_kind=str(data["owner_kind"]),
            owner_email=_opt_str(data.get("owner_email")),
            name=str(data["name"]),
            last_six=str(data["last_six"]),
            created_at=int(data["created_at"]),
            created_by=_opt_str(data.get("created_by")),
            last_used_at=_opt_int(data.get("last_used_at")),
            expires_at=_opt_int(data.get("expires_at")),
            last_used_ip=_opt_str(data.get("last_used_ip")),
            last_used_user_agent=_opt_str(data.get("last_used_user_agent")),
            allowed_cidrs=tuple(str(c) for c in data.get("allowed_cidrs") or ()),
        )


@dataclass(frozen=True)
class IdpCertificate:
    """A signing certificate from the IdP's metadata (every one listed is trusted)."""

    subject: str
    not_after: int
    sha256_fingerprint: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdpCertificate:
        return cls(
            subject=str(data["subject"]),
            not_after=int(data["not_after"]),
            sha256_fingerprint=str(data["sha256_fingerprint"]),
        )


@dataclass(frozen=True)
class IdentityProvider:
    """The IdP the console trusts, its metadata's state, and the SP metadata to hand it."""

    entity_id: str
    metadata_source: str
    sso_url: str
    slo_url: Optional[str]
    certificates: Tuple[IdpCertificate, ...]
    last_refresh_at: Optional[int]
    last_attempt_at: Optional[int]
    last_error: Optional[str]
    next_refresh_at: Optional[int]
    metadata_signature_pinned: bool
    sp_entity_id: str
    sp_metadata_url: str
    sp_metadata_xml: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IdentityProvider:
        return cls(
            entity_id=str(data["entity_id"]),
            metadata_source=str(data["metadata_source"]),
            sso_url=str(data["sso_url"]),
            slo_url=_opt_str(data.get("slo_url")),
            certificates=tuple(IdpCertificate.from_json(c) for c in data["certificates"]),
            last_refresh_at=_opt_int(data.get("last_refresh_at")),
            last_attempt_at=_opt_int(data.get("last_attempt_at")),
            last_error=_opt_str(data.get("last_error")),
            next_refresh_at=_opt_int(data.get("next_refresh_at")),
            metadata_signature_pinned=bool(data["metadata_signature_pinned"]),
            sp_entity_id=str(data["sp_entity_id"]),
            sp_metadata_url=str(data["sp_metadata_url"]),
            sp_metadata_xml=str(data["sp_metadata_xml"]),
        )


@dataclass(frozen=True)
class TokenPolicy:
    """The organisation's rule for personal tokens."""

    personal_token_max_days: Optional[int]
    set_by_configuration: bool

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TokenPolicy:
        return cls(
            personal_token_max_days=_opt_int(data.get("personal_token_max_days")),
            set_by_configuration=bool(data.get("set_by_configuration", False)),
        )
