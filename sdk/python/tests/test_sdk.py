"""The SDK against a real server: every operation, the error mapping, paging, token
resolution, and a sweep of the OpenAPI document for operations the SDK lacks."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

import httpx
import pytest
from conftest import Server, start_server, stop_server

from gatehouse import (
    Conflict,
    Gatehouse,
    GatehouseError,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_whoami_names_the_owner(server: Server, owner_token: str) -> None:
    with Gatehouse(host=server.base, token=owner_token) as gh:
        me = gh.whoami()
    assert (me.email, me.kind, me.role) == ("ada@example.com", "user", "owner")
    assert me.organization_name == "SDK Tests"
    assert me.organization_id


def test_owners_read_the_identity_provider_and_collaborators_cannot(
    server: Server, owner_token: str
) -> None:
    with Gatehouse(host=server.base, token=owner_token) as gh:
        idp = gh.identity_provider()
    assert idp.entity_id.endswith("/dev-idp/metadata")
    assert idp.last_error is None and idp.last_refresh_at
    assert len(idp.certificates) == 1
    assert idp.certificates[0].not_after > idp.last_refresh_at
    assert "SPSSODescriptor" in idp.sp_metadata_xml
    collaborator = Gatehouse(host=server.base, token=server.token_for("grace@example.com"))
    with pytest.raises(PermissionDenied):
        collaborator.identity_provider()


def test_keys_carry_expiry_networks_last_use_and_rotate_with_an_overlap(
    server: Server, owner_token: str
) -> None:
    gh = Gatehouse(host=server.base, token=owner_token)
    name = unique("lifecycle")
    gh.service_accounts.create(name)
    with pytest.raises(InvalidRequest) as bad:
        gh.service_accounts.create_api_key(name, allowed_cidrs=["10.0.0.0/99"])
    assert "allowed_cidrs" in bad.value.message
    in_a_day = int(time.time()) + 86_400
    key = gh.service_accounts.create_api_key(
        name, "nightly", expires_at=in_a_day, allowed_cidrs=["127.0.0.0/8"]
    )
    assert (key.info.name, key.info.expires_at) == ("nightly", in_a_day)
    assert key.info.allowed_cidrs == ("127.0.0.0/8",)
    Gatehouse(host=server.base, token=key.token).whoami()
    listed = next(k for k in gh.api_keys.list(email=f"{name}@") if k.id == key.info.id)
    assert listed.last_used_ip == "127.0.0.1"
    assert (listed.last_used_user_agent or "").startswith("gatehouse-python/")
    outside = gh.service_accounts.create_api_key(name, allowed_cidrs=["192.0.2.0/24"])
    with pytest.raises(NotAuthenticated) as refused:
        Gatehouse(host=server.base, token=outside.token).whoami()
    assert refused.value.code == "source_not_allowed"
    new = gh.api_keys.rotate(key.info.id, grace_seconds=3600)
    assert new.info.name == "nightly"
    Gatehouse(host=server.base, token=key.token).whoami()
    Gatehouse(host=server.base, token=new.token).whoami()
    assert [k for k in gh.api_keys.list(unused_for_days=90) if k.id == new.info.id] == []
    gh.service_accounts.delete(name)


def test_the_token_policy_is_read_by_members_and_set_by_owners(
    server: Server, owner_token: str
) -> None:
    gh = Gatehouse(host=server.base, token=owner_token)
    collaborator = Gatehouse(host=server.base, token=server.token_for("grace@example.com"))
    try:
        assert gh.set_token_policy(90).personal_token_max_days == 90
        assert collaborator.token_policy().personal_token_max_days == 90
        with pytest.raises(PermissionDenied):
            collaborator.set_token_policy(None)
    finally:
        assert gh.set_token_policy(None).personal_token_max_days is None


def test_emergency_revoke_counts_then_revokes_what_matches(
    server: Server, owner_token: str
) -> None:
    gh = Gatehouse(host=server.base, token=owner_token)
    name = unique("leaky")
    gh.service_accounts.create(name)
    keys = [gh.service_accounts.create_api_key(name) for _ in range(2)]
    email = gh.service_accounts.get(name).email
    with pytest.raises(InvalidRequest):
        gh.api_keys.revoke_matching()
    made_by_ada = gh.api_keys.revoke_matching(
        kind="service_account", created_by="ada@example.com", dry_run=True
    )
    assert made_by_ada >= 2
    assert Gatehouse(host=server.base, token=keys[0].token).whoami().email == email
    assert (
        gh.api_keys.revoke_matching(kind="service_account", created_by="ada@example.com")
        == made_by_ada
    )
    for key in keys:
        with pytest.raises(NotAuthenticated):
            Gatehouse(host=server.base, token=key.token).whoami()
    assert gh.whoami().email == "ada@example.com", "personal tokens are another kind"
    gh.service_accounts.delete(name)


def test_a_service_account_through_its_whole_life(server: Server, owner_token: str) -> None:
    gh = Gatehouse(host=server.base, token=owner_token)
    name = unique("etl")
    account = gh.service_accounts.create(name)
    assert account.email == f"{name}@org-{gh.whoami().organization_id}.serviceaccount.com"
    assert account.role == "collaborator"
    assert gh.service_accounts.get(name) == gh.service_accounts.get(account.id)
    assert [a.name for a in gh.service_accounts.list(email=f"{name}@")] == [name]

    key = gh.service_accounts.create_api_key(name, name="nightly")
    assert key.token.startswith("gts_") and key.token.endswith(key.info.last_six)
    assert key.token not in repr(key), "a new key's repr hides the secret"
    with Gatehouse(host=server.base, token=key.token) as robot:
        assert (robot.whoami().kind, robot.whoami().email) == ("service_account", account.email)
    # A key rotates itself: it is replaced, the account's other keys are untouched.
    spare = gh.service_accounts.create_api_key(name, name="spare")
    replaced = Gatehouse(host=server.base, token=spare.token).credentials.rotate()
    assert replaced.info.name == "spare"
    with pytest.raises(NotAuthenticated):
        Gatehouse(host=server.base, token=spare.token).whoami()
    assert Gatehouse(host=server.base, token=key.token).whoami().email == account.email
    gh.api_keys.revoke(replaced.info.id)
    second = gh.service_accounts.create_api_key(account.id)
    listed = gh.service_accounts.list_api_keys(name)
    assert {k.last_six for k in listed} == {key.info.last_six, second.info.last_six}
    assert {k.name for k in listed} == {"nightly", "API key"}

    in_view = list(gh.api_keys.list(email=account.email))
    assert {k.id for k in in_view} == {key.info.id, second.info.id}
    assert all(k.owner_email == account.email for k in in_view)
    gh.api_keys.revoke(key.info.id)
    with pytest.raises(NotAuthenticated):
        Gatehouse(host=server.base, token=key.token).whoami()
    with pytest.raises(NotFound):
        gh.api_keys.revoke(key.info.id)

    assert gh.service_accounts.revoke_all_api_keys(name) == 1
    assert gh.service_accounts.list_api_keys(name) == []
    assert gh.service_accounts.revoke_all_api_keys(name) == 0
    gh.service_accounts.delete(name)
    with pytest.raises(NotFound):
        gh.service_accounts.get(name)


def test_lists_are_lazy_and_follow_paging_tokens(server: Server, owner_token: str) -> None:
    gh = Gatehouse(host=server.base, token=owner_token)
    prefix = unique("paged")
    names = {gh.service_accounts.create(f"{prefix}-{i}").name for i in range(5)}
    calls = []
    real = gh._t.request

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("params"))
        return real(*args, **kwargs)

    gh._t.request = counting  # type: ignore[method-assign]
    pages = gh.service_accounts.list(email=f"{prefix}-", page_size=2)
    assert calls == [], "nothing is fetched before the first item is wanted"
    first = next(pages)
    assert len(calls) == 1
    rest = list(pages)
    assert {first.name, *(a.name for a in rest)} == names
    assert len(calls) == 3, "5 items in pages of 2"
    assert calls[1]["paging_token"], "the second page is asked for by its token"
    members = list(gh.users.list(is_service_account=True, page_size=3))
    assert names <= {m.name for m in members}
    for name in names:
        gh.service_accounts.delete(name)


def test_owners_change_roles_rotate_and_remove_members(server: Server, owner_token: str) -> None:
    gh = Gatehouse(host=server.base, token=owner_token)
    alan_token = server.token_for("alan@example.com")
    alan = next(gh.users.list(email="alan@"))
    assert (alan.email, alan.role, alan.is_service_account) == (
        "alan@example.com",
        "collaborator",
        False,
    )
    assert gh.users.update(alan.id, role="owner").role == "owner"
    # As an owner, Alan makes an automation account with a key: it must not outlive him.
    bot = Gatehouse(host=server.base, token=alan_token).service_accounts.create(
        unique("alans-bot"), role="owner"
    )
    bot_key = Gatehouse(host=server.base, token=alan_token).service_accounts.create_api_key(
        bot.name
    )
    assert gh.users.update(alan.id, role="collaborator").role == "collaborator"
    handed_over = gh.users.rotate_key(alan.id)
    with pytest.raises(NotAuthenticated):
        Gatehouse(host=server.base, token=alan_token).whoami()
    assert Gatehouse(host=server.base, token=handed_over.token).whoami().email == alan.email
    gh.users.remove(alan.id)
    with pytest.raises(NotAuthenticated):
        Gatehouse(host=server.base, token=handed_over.token).whoami()
    with pytest.raises(NotAuthenticated):
        Gatehouse(host=server.base, token=bot_key.token).whoami()
    assert list(gh.users.list(email="alan@")) == []
    gh.service_accounts.delete(bot.name)
    # Removed means removed: the IdP still vouches for Alan, but he cannot sign in until an
    # owner allows him back.
    removed = {r.email: r for r in gh.users.removed()}
    assert removed["alan@example.com"].removed_by == "ada@example.com"
    with pytest.raises(AssertionError, match=r"removed alan@example\.com from"):
        server.token_for("alan@example.com")
    gh.users.allow_back("alan@example.com")
    assert "alan@example.com" not in {r.email for r in gh.users.removed()}
    with pytest.raises(NotFound):
        gh.users.allow_back("alan@example.com")
    back = Gatehouse(host=server.base, token=server.token_for("alan@example.com"))
    assert back.whoami().email == "alan@example.com"


def test_rotating_my_key_ends_every_old_token(server: Server) -> None:
    first = server.token_for("grace@example.com")
    second = server.token_for("grace@example.com")
    rotated = Gatehouse(host=server.base, token=first).credentials.rotate()
    for old in (first, second):
        with pytest.raises(NotAuthenticated):
            Gatehouse(host=server.base, token=old).whoami()
    assert Gatehouse(host=server.base, token=rotated.token).whoami().email == "grace@example.com"


def test_errors_carry_code_message_and_request_id_but_never_the_token(
    server: Server, owner_token: str
) -> None:
    bad = "gtu_" + "A" * 38
    with pytest.raises(NotAuthenticated) as refused:
        Gatehouse(host=server.base, token=bad).whoami()
    e = refused.value
    assert (e.status, e.code) == (401, "unauthorized")
    assert e.request_id and len(e.request_id) == 36
    assert bad not in str(e) and bad not in repr(e)

    collaborator = Gatehouse(host=server.base, token=server.token_for("grace@example.com"))
    with pytest.raises(PermissionDenied) as denied:
        collaborator.service_accounts.create(unique("nope"))
    assert denied.value.status == 403

    gh = Gatehouse(host=server.base, token=owner_token)
    with pytest.raises(NotFound):
        gh.service_accounts.get("no-such-account")
    name = unique("dup")
    gh.service_accounts.create(name)
    with pytest.raises(Conflict) as conflict:
        gh.service_accounts.create(name)
    assert conflict.value.status == 409
    with pytest.raises(InvalidRequest) as invalid:
        gh.service_accounts.create("Not_A_Name")
    assert invalid.value.code == "invalid_request" and "name" in invalid.value.message
    assert all(isinstance(x.value, GatehouseError) for x in (denied, conflict, invalid))
    gh.service_accounts.delete(name)
    assert owner_token not in repr(gh)


def test_too_many_bad_tokens_raise_rate_limited_with_retry_after() -> None:
    strict = start_server({"GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "2"})
    try:
        # Two failures, then the limit. The server's window is a clock minute: should the
        # three requests straddle a minute boundary, the window restarts, so try twice.
        limited: Optional[RateLimited] = None
        for _attempt in range(2):
            for _ in range(3):
                try:
                    Gatehouse(host=strict.base, token="gtu_guess").whoami()
                except RateLimited as e:
                    limited = e
                    break
                except NotAuthenticated:
                    pass
            if limited is not None:
                break
        assert limited is not None, "the third bad token was not rate limited"
        assert limited.status == 429
        assert limited.retry_after is not None and 1 <= limited.retry_after <= 60
    finally:
        stop_server(strict)


def write_credentials(path: Path, host: str, token: str, mode: int = 0o600) -> None:
    """The file as `gatehouse login` writes it: a token per host, and the current host."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"current": host, "hosts": {host: {"token": token}}}))
    os.chmod(path, mode)


def test_token_and_host_resolution_order(
    server: Server, owner_token: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    collab_token = server.token_for("grace@example.com")
    file = clean_env / ".gatehouse" / "credentials.json"
    write_credentials(file, server.base, collab_token)
    # The file alone: its host and its token.
    from_file = Gatehouse()
    assert (from_file.host, from_file.token_source) == (server.base, "file")
    assert from_file.whoami().email == "grace@example.com"
    # The environment beats the file...
    monkeypatch.setenv("GATEHOUSE_CLI_TOKEN", owner_token)
    assert Gatehouse().whoami().email == "ada@example.com"
    # ...and an argument beats both.
    assert Gatehouse(token=collab_token).whoami().email == "grace@example.com"
    # GATEHOUSE_HOST beats the file's host.
    monkeypatch.setenv("GATEHOUSE_HOST", "http://127.0.0.1:9")
    assert Gatehouse().host == "http://127.0.0.1:9"
    # GATEHOUSE_CREDENTIALS_FILE moves the file.
    monkeypatch.delenv("GATEHOUSE_HOST")
    monkeypatch.delenv("GATEHOUSE_CLI_TOKEN")
    moved = clean_env / "elsewhere.json"
    write_credentials(moved, server.base, owner_token)
    monkeypatch.setenv("GATEHOUSE_CREDENTIALS_FILE", str(moved))
    assert Gatehouse().whoami().email == "ada@example.com"


def test_the_credentials_file_is_refused_when_others_can_read_it(
    server: Server, owner_token: str, clean_env: Path
) -> None:
    file = clean_env / ".gatehouse" / "credentials.json"
    write_credentials(file, server.base, owner_token, mode=0o644)
    with pytest.raises(GatehouseError) as refused:
        Gatehouse()
    assert "chmod 600" in str(refused.value)
    assert owner_token not in str(refused.value)


def test_a_stored_token_is_never_sent_to_another_host(
    server: Server, owner_token: str, clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_credentials(clean_env / ".gatehouse" / "credentials.json", server.base, owner_token)
    monkeypatch.setenv("GATEHOUSE_HOST", "http://127.0.0.1:9")
    with pytest.raises(NotAuthenticated) as refused:
        Gatehouse()
    assert refused.value.code == "token_for_another_host"
    with pytest.raises(NotAuthenticated):
        Gatehouse(env={"HOME": str(clean_env / "nobody")})


# Every operation of the HTTP API and the SDK method that performs it.
SDK_METHODS: Dict[Tuple[str, str], Callable[[Gatehouse], object]] = {
    ("GET", "/api/v1/users/me"): lambda g: g.whoami,
    ("POST", "/api/v1/users/me/rotate_key"): lambda g: g.credentials.rotate,
    ("GET", "/api/v1/collaborators"): lambda g: g.users.list,
    ("POST", "/api/v1/users/{user_id}/rotate_key"): lambda g: g.users.rotate_key,
    ("PATCH", "/api/v1/users/{user_id}"): lambda g: g.users.update,
    ("DELETE", "/api/v1/users/{user_id}"): lambda g: g.users.remove,
    ("GET", "/api/v1/removed_members"): lambda g: g.users.removed,
    ("DELETE", "/api/v1/removed_members/{email}"): lambda g: g.users.allow_back,
    ("POST", "/api/v1/service_accounts"): lambda g: g.service_accounts.create,
    ("GET", "/api/v1/service_accounts"): lambda g: g.service_accounts.list,
    ("GET", "/api/v1/service_accounts/{id_or_name}"): lambda g: g.service_accounts.get,
    ("DELETE", "/api/v1/service_accounts/{id_or_name}"): lambda g: g.service_accounts.delete,
    ("POST", "/api/v1/service_accounts/{id_or_name}/api_keys"): (
        lambda g: g.service_accounts.create_api_key
    ),
    ("GET", "/api/v1/service_accounts/{id_or_name}/api_keys"): (
        lambda g: g.service_accounts.list_api_keys
    ),
    ("POST", "/api/v1/service_accounts/{id_or_name}/api_keys/revoke_all"): (
        lambda g: g.service_accounts.revoke_all_api_keys
    ),
    ("GET", "/api/v1/api_keys"): lambda g: g.api_keys.list,
    ("DELETE", "/api/v1/api_keys/{key_id}"): lambda g: g.api_keys.revoke,
    ("GET", "/api/v1/identity_provider"): lambda g: g.identity_provider,
    ("POST", "/api/v1/api_keys/revoke"): lambda g: g.api_keys.revoke_matching,
    ("POST", "/api/v1/api_keys/{key_id}/rotate"): lambda g: g.api_keys.rotate,
    ("GET", "/api/v1/organization/token_policy"): lambda g: g.token_policy,
    ("PUT", "/api/v1/organization/token_policy"): lambda g: g.set_token_policy,
}


def test_every_operation_in_the_openapi_document_has_an_sdk_method(
    server: Server, owner_token: str
) -> None:
    document = httpx.get(f"{server.base}/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    missing = sorted(operations - set(SDK_METHODS))
    assert missing == [], f"operations without an SDK method: {missing}"
    gh = Gatehouse(host=server.base, token=owner_token)
    for op, method in SDK_METHODS.items():
        assert callable(method(gh)), op
    stale = sorted(set(SDK_METHODS) - operations)
    assert stale == [], f"SDK methods for operations the API no longer has: {stale}"


def test_the_single_host_file_of_earlier_releases_is_still_read(
    server: Server, owner_token: str, clean_env: Path
) -> None:
    legacy = clean_env / ".gatehouse" / "credentials.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"host": server.base + "/", "token": owner_token}))
    os.chmod(legacy, 0o600)
    gh = Gatehouse()
    assert (gh.host, gh.token_source) == (server.base, "file")
    assert gh.whoami().email == "ada@example.com"


def test_plain_http_beyond_this_machine_needs_insecure(owner_token: str) -> None:
    with pytest.raises(GatehouseError) as refused:
        Gatehouse(host="http://gatehouse.invalid", token=owner_token)
    assert refused.value.code == "insecure_transport"
    assert owner_token not in str(refused.value)
    allowed = Gatehouse(host="http://gatehouse.invalid", token=owner_token, insecure=True)
    assert allowed.host == "http://gatehouse.invalid"
    for local in (
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
        "https://x.example",
    ):
        assert Gatehouse(host=local, token=owner_token).host == local


def test_answers_are_read_by_their_fields_annotations() -> None:
    from gatehouse._models import IdentityProvider, TokenInfo, TokenPolicy

    info = TokenInfo.from_json(
        {"id": "t1", "name": "ci", "last_six": "abc123", "created_at": 5, "last_used_at": None}
    )
    assert (info.expires_at, info.last_used_ip, info.allowed_cidrs) == (None, None, ())
    assert TokenInfo.from_json(
        {**info.__dict__, "allowed_cidrs": ["10.0.0.0/8"]}
    ).allowed_cidrs == ("10.0.0.0/8",)
    # Absent and with a default: the default; absent and required: KeyError, never a guess.
    assert TokenPolicy.from_json({"personal_token_max_days": 30}).set_by_configuration is False
    with pytest.raises(KeyError, match="last_six"):
        TokenInfo.from_json({"id": "t1", "name": "ci", "created_at": 5})
    idp = IdentityProvider.from_json(
        {
            "entity_id": "https://idp",
            "metadata_source": "file",
            "sso_url": "https://idp/sso",
            "certificates": [{"subject": "CN=idp", "not_after": 9, "sha256_fingerprint": "ab"}],
            "metadata_signature_pinned": True,
            "sp_entity_id": "https://sp",
            "sp_metadata_url": "https://sp/saml/metadata",
            "sp_metadata_xml": "<md/>",
        }
    )
    assert idp.certificates[0].subject == "CN=idp" and idp.slo_url is None
