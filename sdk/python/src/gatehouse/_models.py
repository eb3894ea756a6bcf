"""What the API answers with, as typed, immutable values."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import (
    Any,
    Dict,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

_M = TypeVar("_M", bound="_Model")


class _Model:
    """A value read from the API's JSON by ``from_json``. Each field is converted by its
    annotation: ``str``, ``int``, ``bool``, another model, ``Optional[...]`` of one (``None``
    when absent), or ``Tuple[X, ...]`` of one (empty when absent); a field with a default keeps
    it when absent. Any other field must be there: ``KeyError`` otherwise."""

    @classmethod
    def from_json(cls: Type[_M], data: Mapping[str, Any]) -> _M:
        values: Dict[str, Any] = {}
        hints = _hints(cls)
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            hint = hints[field.name]
            if field.name not in data and _has_default(field):
                continue
            if _is_optional(hint) or get_origin(hint) is tuple:
                value = data.get(field.name)
            else:
                value = data[field.name]
            values[field.name] = _convert(hint, value)
        return cls(**values)


_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    """The field annotations of a model, resolved once."""
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def _is_optional(hint: Any) -> bool:
    return get_origin(hint) is Union and type(None) in get_args(hint)


def _convert(hint: Any, value: Any) -> Any:
    if _is_optional(hint):
        inner = next(a for a in get_args(hint) if a is not type(None))
        return None if value is None else _convert(inner, value)
    if get_origin(hint) is tuple:
        return tuple(_convert(get_args(hint)[0], item) for item in value or ())
    if isinstance(hint, type) and issubclass(hint, _Model):
        return hint.from_json(value)
    return hint(value)


@dataclass(frozen=True)
class Identity(_Model):
    """Who a token acts as: a person or a service account."""

    id: str
    email: str
    kind: str
    role: str
    organization_id: str
    organization_name: str


@dataclass(frozen=True)
class TokenInfo(_Model):
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


@dataclass(frozen=True)
class NewToken(_Model):
    """A token just issued. ``token`` is shown this once; ``repr`` shows only its last six."""

    token: str
    info: TokenInfo

    def __repr__(self) -> str:
        return f"NewToken(token='…{self.info.last_six}', info={self.info!r})"


#: A service-account key just issued (same shape as a personal token).
NewApiKey = NewToken


@dataclass(frozen=True)
class Member(_Model):
    """A member of the organisation: a person or a service account."""

    id: str
    email: str
    name: str
    role: str
    is_service_account: bool
    created_at: int
    last_sign_in_at: Optional[int]


@dataclass(frozen=True)
class RemovedMember(_Model):
    """Someone an owner removed: their sign-ins are refused until an owner allows them back."""

    email: str
    removed_at: int
    removed_by: Optional[str]


@dataclass(frozen=True)
class ServiceAccount(_Model):
    """A non-human identity: ``<name>@org-<organization id>.serviceaccount.com``."""

    id: str
    name: str
    email: str
    role: str
    active_keys: int
    created_at: int
    created_by: str


@dataclass(frozen=True)
class ApiKey(_Model):
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


@dataclass(frozen=True)
class IdpCertificate(_Model):
    """A signing certificate from the IdP's metadata (every one listed is trusted)."""

    subject: str
    not_after: int
    sha256_fingerprint: str


@dataclass(frozen=True)
class IdentityProvider(_Model):
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


@dataclass(frozen=True)
class TokenPolicy(_Model):
    """The organisation's rule for personal tokens."""

    personal_token_max_days: Optional[int]
    set_by_configuration: bool = False
