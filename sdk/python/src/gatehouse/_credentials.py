"""Where the host and the token come from, exactly as the ``gatehouse`` CLI resolves them:
arguments, then ``GATEHOUSE_HOST`` / ``GATEHOUSE_CLI_TOKEN``, then the credentials file
(``~/.gatehouse/credentials.json``, or ``GATEHOUSE_CREDENTIALS_FILE``)."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from ._errors import GatehouseError, NotAuthenticated

DEFAULT_HOST = "http://127.0.0.1:3000"


def credentials_path(env: Mapping[str, str]) -> Path:
    custom = env.get("GATEHOUSE_CREDENTIALS_FILE")
    if custom:
        return Path(custom)
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".gatehouse" / "credentials.json"


@dataclass(frozen=True)
class StoredCredentials:
    host: Optional[str]
    token: Optional[str]

    def __repr__(self) -> str:
        shown = "None" if self.token is None else "'<hidden>'"
        return f"StoredCredentials(host={self.host!r}, token={shown})"


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
    host, token = data.get("host"), data.get("token")
    return StoredCredentials(
        host=host if isinstance(host, str) else None,
        token=token if isinstance(token, str) else None,
    )


def _same_host(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


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
    stored: Optional[StoredCredentials] = None
    path = credentials_path(env)

    def file() -> Optional[StoredCredentials]:
        nonlocal stored
        if stored is None:
            stored = read_credentials(path)
        return stored

    resolved_host = host or env.get("GATEHOUSE_HOST") or None
    if resolved_host is None:
        from_file = file()
        resolved_host = (from_file.host if from_file else None) or DEFAULT_HOST
    if token:
        return Resolved(resolved_host.rstrip("/"), token, "argument")
    if env.get("GATEHOUSE_CLI_TOKEN"):
        return Resolved(resolved_host.rstrip("/"), env["GATEHOUSE_CLI_TOKEN"], "environment")
    from_file = file()
    if from_file and from_file.token:
        if from_file.host and not _same_host(from_file.host, resolved_host):
            raise NotAuthenticated(
                f"the token in {path} belongs to {from_file.host}, not {resolved_host}: "
                "pass token=… or set GATEHOUSE_CLI_TOKEN for this host",
                code="token_for_another_host",
            )
        return Resolved(resolved_host.rstrip("/"), from_file.token, "file")
    raise NotAuthenticated(
        "no token: pass token=…, set GATEHOUSE_CLI_TOKEN, or run `gatehouse login`",
        code="no_token",
    )
