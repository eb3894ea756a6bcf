"""The client: one ``httpx.Client`` with the bearer token, and one attribute per area of the
API (``credentials``, ``users``, ``service_accounts``, ``api_keys``)."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, TypeVar
from urllib.parse import quote

import httpx

from ._credentials import resolve, transport_is_safe
from ._errors import BY_STATUS, GatehouseError, RateLimited
from ._models import (
    ApiKey,
    Identity,
    IdentityProvider,
    Member,
    NewApiKey,
    NewToken,
    RemovedMember,
    ServiceAccount,
    TokenInfo,
    TokenPolicy,
)

T = TypeVar("T")
Json = Dict[str, Any]

#: Page size used when following ``next_paging_token`` (the API allows up to 200).
DEFAULT_PAGE_SIZE = 50


def _segment(value: str) -> str:
    """A path segment: user ids, names and key ids are percent-encoded, never spliced raw."""
    return quote(value, safe="")


class _Transport:
    def __init__(self, host: str, token: str, timeout: float) -> None:
        self.host = host
        self._http = httpx.Client(
            base_url=f"{host}/api/v1",
            headers={"Authorization": f"Bearer {token}", "User-Agent": "gatehouse-python/0.1"},
            timeout=timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        body: Optional[Mapping[str, Any]] = None,
    ) -> Optional[Json]:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        for k, v in query.items():
            if isinstance(v, bool):
                query[k] = "true" if v else "false"
        try:
            response = self._http.request(method, path, params=query, json=body)
        except httpx.HTTPError as e:
            raise GatehouseError(f"cannot reach {self.host}: {e}", code="transport") from None
        if response.status_code == 204:
            return None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success:
            if not isinstance(data, dict):
                raise GatehouseError(
                    f"{self.host} sent an unexpected response", status=response.status_code
                )
            return data
        raise _error(response, data)

    def pages(
        self, path: str, params: Mapping[str, Any], parse: Callable[[Json], T], page_size: int
    ) -> Iterator[T]:
        """Every item of a list, fetching the next page only when the last one is used up."""
        token: Optional[str] = None
        while True:
            page = self.request(
                "GET", path, params={**params, "count": page_size, "paging_token": token}
            )
            assert page is not None  # noqa: S101 - a list always has a body
            for item in page.get("results", []):
                yield parse(item)
            token = (page.get("metadata") or {}).get("next_paging_token")
            if not token:
                return


def _error(response: httpx.Response, data: Any) -> GatehouseError:
    detail = data.get("error") if isinstance(data, dict) else None
    if not isinstance(detail, dict):
        detail = {}
    message = str(detail.get("message") or f"HTTP {response.status_code}")
    code = str(detail.get("code") or "error")
    request_id = detail.get("request_id") or response.headers.get("x-request-id")
    kind = BY_STATUS.get(response.status_code, GatehouseError)
    if kind is RateLimited:
        retry = response.headers.get("retry-after")
        return RateLimited(
            message,
            status=response.status_code,
            code=code,
            request_id=request_id,
            retry_after=int(retry) if retry and retry.isdigit() else None,
        )
    return kind(message, status=response.status_code, code=code, request_id=request_id)


def _result(data: Optional[Json]) -> Json:
    if data is None or not isinstance(data.get("result"), dict):
        raise GatehouseError("the server sent no result")
    result: Json = data["result"]
    return result


class Credentials:
    """The caller's own credentials."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport

    def rotate(self) -> NewToken:
        """Rotate my key: every token of mine stops working; returns the new one (shown once)."""
        return NewToken.from_json(_result(self._t.request("POST", "/users/me/rotate_key")))


class Users:
    """The organisation's members (people and service accounts)."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport

    def list(
        self,
        email: Optional[str] = None,
        name: Optional[str] = None,
        is_service_account: Optional[bool] = None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[Member]:
        """Members, lazily paged; filters: email prefix, part of the name, kind."""
        params = {"email": email, "name": name, "is_service_account": is_service_account}
        return self._t.pages("/collaborators", params, Member.from_json, page_size)

    def rotate_key(self, user_id: str) -> NewToken:
        """Owners: revoke every token of a member and issue one new token to hand over."""
        path = f"/users/{_segment(user_id)}/rotate_key"
        return NewToken.from_json(_result(self._t.request("POST", path)))

    def update(self, user_id: str, *, role: str) -> Member:
        """Owners: change a member's role (``owner`` or ``collaborator``)."""
        data = self._t.request("PATCH", f"/users/{_segment(user_id)}", body={"role": role})
        return Member.from_json(_result(data))

    def remove(self, user_id: str, *, revoke_created_keys: bool = True) -> None:
        """Owners: remove a member; their tokens and sessions end at once, and the
        service-account keys they created are revoked unless ``revoke_created_keys=False``."""
        self._t.request(
            "DELETE",
            f"/users/{_segment(user_id)}",
            params={"revoke_created_keys": revoke_created_keys},
        )

    def removed(self) -> List[RemovedMember]:
        """Owners: the people removed from the organisation, most recent first. Their sign-ins
        are refused (and they are told why) until an owner allows them back."""
        data = self._t.request("GET", "/removed_members")
        if data is None or not isinstance(data.get("results"), list):
            raise GatehouseError("the server sent no results")
        return [RemovedMember.from_json(item) for item in data["results"]]

    def allow_back(self, email: str) -> None:
        """Owners: let a removed person sign in again; their next sign-in makes them a member."""
        self._t.request("DELETE", f"/removed_members/{_segment(email)}")


class ServiceAccounts:
    """Owners: non-human identities and their API keys."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport

    def create(self, name: str, role: str = "collaborator") -> ServiceAccount:
        data = self._t.request("POST", "/service_accounts", body={"name": name, "role": role})
        return ServiceAccount.from_json(_result(data))

    def list(
        self, email: Optional[str] = None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[ServiceAccount]:
        """Service accounts, lazily paged, optionally by email prefix."""
        return self._t.pages(
            "/service_accounts", {"email": email}, ServiceAccount.from_json, page_size
        )

    def get(self, name_or_id: str) -> ServiceAccount:
        data = self._t.request("GET", f"/service_accounts/{_segment(name_or_id)}")
        return ServiceAccount.from_json(_result(data))

    def delete(self, name_or_id: str) -> None:
        """Delete the account; its keys stop working at once."""
        self._t.request("DELETE", f"/service_accounts/{_segment(name_or_id)}")

    def create_api_key(
        self,
        name_or_id: str,
        name: Optional[str] = None,
        *,
        expires_at: Optional[int] = None,
        allowed_cidrs: Optional[Sequence[str]] = None,
    ) -> NewApiKey:
        """A new key, shown this once (``.token``); later known by ``.info.last_six``. It never
        expires unless ``expires_at`` (Unix seconds) is given; ``allowed_cidrs`` limits where it
        may be used from."""
        body: Dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if expires_at is not None:
            body["expires_at"] = expires_at
        if allowed_cidrs:
            body["allowed_cidrs"] = list(allowed_cidrs)
        path = f"/service_accounts/{_segment(name_or_id)}/api_keys"
        return NewToken.from_json(_result(self._t.request("POST", path, body=body)))

    def list_api_keys(self, name_or_id: str) -> List[TokenInfo]:
        """The account's active keys."""
        data = self._t.request("GET", f"/service_accounts/{_segment(name_or_id)}/api_keys")
        return [TokenInfo.from_json(k) for k in (data or {}).get("results", [])]

    def revoke_all_api_keys(self, name_or_id: str) -> int:
        """Revoke every key of the account; returns how many were revoked."""
        path = f"/service_accounts/{_segment(name_or_id)}/api_keys/revoke_all"
        return int(_result(self._t.request("POST", path))["revoked"])


class ApiKeys:
    """Owners: every active key of the organisation."""

    def __init__(self, transport: _Transport) -> None:
        self._t = transport

    def list(
        self,
        email: Optional[str] = None,
        *,
        unused_for_days: Optional[int] = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[ApiKey]:
        """Keys, newest first, lazily paged; ``email`` is a service-account email or prefix;
        ``unused_for_days`` keeps only keys unused that long (never-used ones count from
        creation)."""
        params = {"email": email, "unused_for_days": unused_for_days}
        return self._t.pages("/api_keys", params, ApiKey.from_json, page_size)

    def revoke(self, key_id: str) -> None:
        self._t.request("DELETE", f"/api_keys/{_segment(key_id)}")

    def rotate(self, key_id: str, *, grace_seconds: int = 0) -> NewApiKey:
        """Replace a service-account key: the new one is returned (shown once); the old one
        keeps working for ``grace_seconds`` (up to seven days), then expires."""
        path = f"/api_keys/{_segment(key_id)}/rotate"
        body = {"grace_seconds": grace_seconds}
        return NewToken.from_json(_result(self._t.request("POST", path, body=body)))

    def revoke_matching(
        self,
        *,
        created_before: Optional[int] = None,
        created_by: Optional[str] = None,
        kind: str = "all",
        dry_run: bool = False,
    ) -> int:
        """Emergency revoke: every live key matching all the conditions (``kind`` is ``user``,
        ``service_account`` or ``all``; at least one condition besides ``kind="all"``), in one
        step. With ``dry_run`` only counts. Returns the count."""
        body: Dict[str, Any] = {"kind": kind, "dry_run": dry_run}
        if created_before is not None:
            body["created_before"] = created_before
        if created_by is not None:
            body["created_by"] = created_by
        data = _result(self._t.request("POST", "/api_keys/revoke", body=body))
        return int(data["count"])


class Gatehouse:
    """A Gatehouse client.

    ``Gatehouse()`` finds the host and token like the CLI does: arguments, then
    ``GATEHOUSE_HOST`` / ``GATEHOUSE_CLI_TOKEN``, then ``~/.gatehouse/credentials.json``
    (``GATEHOUSE_CREDENTIALS_FILE`` moves it). The token is never shown by ``repr``. Plain
    ``http://`` is allowed only to this machine unless ``insecure=True``.
    """

    def __init__(
        self,
        host: Optional[str] = None,
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        insecure: bool = False,
        env: Optional[Mapping[str, str]] = None,
    ) -> None:
        resolved = resolve(host, token, env)
        if not insecure and not transport_is_safe(resolved.host):
            raise GatehouseError(
                f"refusing to send a token over plain http to {resolved.host}: use https, or "
                "pass insecure=True if this network is trusted",
                code="insecure_transport",
            )
        self.host = resolved.host
        self.token_source = resolved.source
        self._t = _Transport(resolved.host, resolved.token, timeout)
        self.credentials = Credentials(self._t)
        self.users = Users(self._t)
        self.service_accounts = ServiceAccounts(self._t)
        self.api_keys = ApiKeys(self._t)

    def whoami(self) -> Identity:
        """Who the token acts as."""
        return Identity.from_json(_result(self._t.request("GET", "/users/me")))

    def token_policy(self) -> TokenPolicy:
        """The organisation's maximum lifetime for personal tokens, if any."""
        data = self._t.request("GET", "/organization/token_policy")
        return TokenPolicy.from_json(_result(data))

    def set_token_policy(self, personal_token_max_days: Optional[int]) -> TokenPolicy:
        """Owners: set (or, with ``None``, clear) the maximum lifetime of personal tokens."""
        body = {"personal_token_max_days": personal_token_max_days}
        data = self._t.request("PUT", "/organization/token_policy", body=body)
        return TokenPolicy.from_json(_result(data))

    def identity_provider(self) -> IdentityProvider:
        """Owners: the IdP the console trusts, its certificates and metadata refresh state."""
        return IdentityProvider.from_json(_result(self._t.request("GET", "/identity_provider")))

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> Gatehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Gatehouse(host={self.host!r}, token_source={self.token_source!r})"
