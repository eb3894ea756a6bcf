"""A real Gatehouse server (the built binary, a fresh SQLite file, the development IdP) and
real tokens, obtained the way a person gets one: sign in through the IdP, create a token."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Dict, Iterator, Optional

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]


def server_binary() -> str:
    explicit = os.environ.get("GATEHOUSE_SERVER_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "debug" / "gatehouse-server")


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    directory: str

    def token_for(self, email: str) -> str:
        return sign_in_and_create_token(self.base, email)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(extra_env: Optional[Dict[str, str]] = None) -> Server:
    directory = tempfile.mkdtemp(prefix="gatehouse-sdk-")
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "GATEHOUSE_LISTEN_ADDR": f"127.0.0.1:{port}",
        "GATEHOUSE_METRICS_ADDR": "127.0.0.1:0",
        "GATEHOUSE_DATABASE_URL": f"sqlite://{directory}/gatehouse.db",
        "GATEHOUSE_ORG_NAME": "SDK Tests",
        "GATEHOUSE_SIGNIN_RATE_PER_MINUTE": "10000",
        "GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "10000",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [server_binary()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gatehouse-server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Server(base, process, directory)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("gatehouse-server did not start")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.directory, ignore_errors=True)


def _field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return unescape(match.group(1))


def sign_in_and_create_token(base: str, email: str) -> str:
    """The browser's path: /saml/login → the dev IdP → the ACS (with the binding cookie), then
    the Credentials page's server function creates a personal token."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as browser:
        login = browser.get("/saml/login", params={"next": "/"})
        assert login.status_code == 303
        idp_page = browser.get(login.headers["location"])
        assert idp_page.status_code == 200
        picked = browser.post(
            "/dev-idp/sso",
            data={
                "SAMLRequest": _field(idp_page.text, "SAMLRequest"),
                "RelayState": _field(idp_page.text, "RelayState"),
                "user": email,
            },
        )
        assert picked.status_code == 200
        acs = browser.post("/saml/acs", data={"SAMLResponse": _field(picked.text, "SAMLResponse")})
        assert acs.status_code == 303, acs.text
        created = browser.post(
            "/fn/create_my_token", data={"name": "sdk tests"}, headers={"origin": base}
        )
        assert created.status_code == 200, created.text
        token = created.json()["token"]
        assert isinstance(token, str)
        return token


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    running = start_server()
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def owner_token(server: Server) -> str:
    return server.token_for("ada@example.com")


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No token or host in the environment, and a home directory of the test's own."""
    for name in ("GATEHOUSE_HOST", "GATEHOUSE_CLI_TOKEN", "GATEHOUSE_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path
