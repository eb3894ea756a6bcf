"""Where the host and the token come from, exactly as the ``gatehouse`` CLI resolves them:
arguments, then ``GATEHOUSE_HOST`` / ``GATEHOUSE_CLI_TOKEN``, then the credentials file
(``~/.gatehouse/credentials.json``, or ``GATEHOUSE_CREDENTIALS_FILE``)."""

from __future__ import annotations

import ipaddress
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional
from urllib.parse import urlsplit

from ._errors import GatehouseError, NotAuthenticated

DEFAULT_HOST = "http://127.0.0.1:3000"


def transport_is_safe(host: str) -> bool:
    """Plain http only to this machine (loopback); anything else needs https."""
    parsed = urlsplit(host)
    if parsed.scheme != "http":
        return True
    name = (parsed.hostname or "").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def credentials_path(env: Mapping[str, str]) -> Path:
    custom = env.get("GATEHOUSE_CREDENTIALS_FILE")
    if custom:
        return Path(custom)
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".gatehouse" / "credentials.json"


def _host_key(host: str) -> str:
    return host.rstrip("/").lower()


@dataclass(frozen=True)
class StoredCredentials:
    """The credentials file: one token per console, and the console used when none is named.
    The single-host format of earlier releases (``{"host", "token"}``) is read as one entry."""

    current: Optional[str]
    tokens: Mapping[str, str]

    def token_for(self, host: str) -> Optional[str]:
        return self.tokens.get(_host_key(host))

    def __repr__(self) -> str:
        return f"StoredCredentials(current={self.current!r}, hosts={sorted(self.tokens)!r})"


def read_credentials(path: Path) -> Optional[StoredCredentials]:
    """The credentials file, if there is one. Like ssh with its keys, a file that others
    can read is refused rather than used."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise GatehouseError(
            f"{path} can be read by other users (mode {stat.S_IMODE(mode):o}); "
            f"fix it with: chmod 600 {path}",
            code="insecure_credentials_file",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise GatehouseError(
            f"{path} is not a valid credentials file: {e}", code="bad_credentials_file"
        ) from None
    if not isinstance(data, dict):
        raise GatehouseError(f"{path} is not a valid credentials file", code="bad_credentials_file")
    tokens: Dict[str, str] = {}
    hosts = data.get("hosts")
    if isinstance(hosts, dict):
        for host, entry in hosts.items():
            if isinstance(entry, dict) and isinstance(entry.get("token"), str):
                tokens[_host_key(str(host))] = entry["token"]
    current = data.get("current")
    legacy_host, legacy_token = data.get("host"), data.get("token")
    if isinstance(legacy_host, str) and isinstance(legacy_token, str):
        tokens.setdefault(_host_key(legacy_host), legacy_token)
        current = current or legacy_host
    return StoredCredentials(current=current if isinstance(current, str) else None, tokens=tokens)


@dataclass(frozen=True)
class Resolved:
    host: str
    token: str
    source: str

    def __repr__(self) -> str:
        return f"Resolved(host={self.host!r}, token='<hidden>', source={self.source!r})"


def resolve(
    host: Optional[str], token: Optional[str], env: Optional[Mapping[str, str]] = None
) -> Resolved:
    """Host and token by precedence. A token from the credentials file is only sent to the
    host it was stored with."""
    env = os.environ if env is None else env
    cache: Dict[str, Optional[StoredCredentials]] = {}
    path = credentials_path(env)

    def file() -> Optional[StoredCredentials]:
        if "file" not in cache:
            cache["file"] = read_credentials(path)
        return cache["file"]

    resolved_host = host or env.get("GATEHOUSE_HOST") or None
    if resolved_host is None:
        from_file = file()
        resolved_host = (from_file.current if from_file else None) or DEFAULT_HOST
    if token:
        return Resolved(resolved_host.rstrip("/"), token, "argument")
    if env.get("GATEHOUSE_CLI_TOKEN"):
        return Resolved(resolved_host.rstrip("/"), env["GATEHOUSE_CLI_TOKEN"], "environment")
    from_file = file()
    if from_file:
        stored = from_file.token_for(resolved_host)
        if stored:
            return Resolved(resolved_host.rstrip("/"), stored, "file")
        if from_file.tokens:
            raise NotAuthenticated(
                f"no token is stored for {resolved_host} in {path} (it has tokens for "
                f"{', '.join(sorted(from_file.tokens))}); stored tokens are only sent to their "
                "own host: pass token=… or set GATEHOUSE_CLI_TOKEN",
                code="token_for_another_host",
            )
    raise NotAuthenticated(
        "no token: pass token=…, set GATEHOUSE_CLI_TOKEN, or run `gatehouse login`",
        code="no_token",
    )
