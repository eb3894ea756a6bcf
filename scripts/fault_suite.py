#!/usr/bin/env python3
"""The scale-out fault suite: a real cluster (scripts/cluster.sh: PostgreSQL, replicas, nginx)
and the faults a production deployment meets. Each check prints PASS/FAIL with its numbers;
the exit status is non-zero if any check failed. Standard library only.

  python3 scripts/fault_suite.py          (starts and stops its own cluster)

Checks:
 1. replicas starting at once on an empty database migrate and set up one organisation;
 2. a session made on one replica is valid on the other;
 3. a key revoked through one replica is refused by the other on the next request;
 4. kill -9 of a replica under a write load through the proxy: every acknowledged write is
    present exactly once afterwards;
 5. PostgreSQL restarted under a read load (the API with a token, a console page with a
    session): no valid credential is ever refused; while it is down the answers are 503 with
    Retry-After and come fast; requests succeed again within seconds, with no replica restarted;
 6. PostgreSQL frozen (SIGSTOP: a black hole, nothing answers) under a read load: the same
    three promises as 5;
 7. SIGTERM with a request in flight: the request completes, then the replica exits, within
    the shutdown bound.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLUSTER = [os.path.join(ROOT, "scripts", "cluster.sh")]
PORT = int(os.environ.setdefault("GATEHOUSE_CLUSTER_PORT", "3300"))
os.environ.setdefault("GATEHOUSE_CLUSTER_DIR", "/tmp/gatehouse-fault-suite")
os.environ.setdefault("GATEHOUSE_REPLICAS", "2")
STATE_DIR = os.environ["GATEHOUSE_CLUSTER_DIR"]
PROXY = ("127.0.0.1", PORT)
PUBLIC_ORIGIN = f"http://127.0.0.1:{PORT}"
SHUTDOWN_BOUND_S = 11.0  # SHUTDOWN_GRACE (10 s) + exit
LOOKUP_TIMEOUT_S = 4.0  # token_lookup::QUERY_TIMEOUT
failures = []


def replica(n):
    return ("127.0.0.1", PORT + n)


def cluster(*args, env=None):
    subprocess.run(CLUSTER + list(args), check=True, env={**os.environ, **(env or {})})


def request(addr, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection: (status, headers dict, body bytes)."""
    conn = http.client.HTTPConnection(*addr, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def api(addr, token, method, path, payload=None):
    headers = {"Authorization": f"Bearer {token}"}
    body = None
    if payload is not None:
        body = json.dumps(payload)
        headers["Content-Type"] = "application/json"
    status, headers, data = request(addr, method, "/api/v1" + path, body, headers)
    return status, headers, (json.loads(data) if data and data[:1] in (b"{", b"[") else None)


def check(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)
    if not ok:
        failures.append(name)


class Browser:
    """Cookies by name (every replica and the proxy are 127.0.0.1: a browser shares them too)."""

    def __init__(self):
        self.cookies = {}

    def send(self, addr, method, path, form=None, extra=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers.update(extra or {})
        conn = http.client.HTTPConnection(*addr, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";", 1)[0]
                    if "Max-Age=0" in v or value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = value
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def sign_in(self, addr, email):
        status, headers, _ = self.send(addr, "GET", "/saml/login?next=/")
        assert status in (302, 303), status
        query = urllib.parse.urlparse(headers["location"]).query
        saml_request = urllib.parse.parse_qs(query)["SAMLRequest"][0]
        status, _, page = self.send(
            addr, "POST", "/dev-idp/sso",
            form={"SAMLRequest": saml_request, "RelayState": "", "user": email},
            extra={"Origin": PUBLIC_ORIGIN},
        )
        assert status == 200, status
        response = re.search(rb'name="SAMLResponse" value="([^"]+)"', page).group(1).decode()
        status, _, _ = self.send(addr, "POST", "/saml/acs", form={"SAMLResponse": response})
        assert status == 303, f"ACS answered {status}"

    def new_token(self, addr):
        status, _, body = self.send(
            addr, "POST", "/fn/create_my_token", form={"name": "fault suite"},
            extra={"Origin": PUBLIC_ORIGIN},
        )
        assert status == 200, status
        return json.loads(body)["token"]


def all_pages(token, path):
    results, paging = [], None
    while True:
        sep = "&" if "?" in path else "?"
        url = path + (f"{sep}paging_token={urllib.parse.quote(paging)}" if paging else "")
        status, _, body = api(PROXY, token, "GET", url)
        assert status == 200, (url, status)
        results += body["results"]
        paging = (body.get("metadata") or {}).get("next_paging_token")
        if not paging:
            return results


def psql(sql):
    port = open(os.path.join(STATE_DIR, "pg.port")).read().strip()
    cmd = ["psql", "-qAt", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "gatehouse", "-c", sql]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def replica_pid(n):
    return int(open(os.path.join(STATE_DIR, f"replica-{n}.pid")).read())


def main():
    started = time.monotonic()
    cluster("start")
    try:
        run_checks()
    finally:
        cluster("stop")
    print(f"\nfault suite: {len(failures)} failed, {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failures else 0


def run_checks():
    # 1. Concurrent start on an empty database.
    orgs = psql("SELECT COUNT(*) FROM organizations")
    migrations = psql("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
    expected = len([f for f in os.listdir(os.path.join(ROOT, "migrations")) if f.endswith(".sql")])
    check("two replicas start at once on an empty database",
          orgs == "1" and migrations == str(expected),
          f"{orgs} organisation, {migrations}/{expected} migrations applied once each")

    # 2. A session from replica 1 works on replica 2.
    browser = Browser()
    browser.sign_in(replica(1), "ada@example.com")
    status, headers, _ = browser.send(replica(2), "GET", "/credentials")
    check("a session made on replica 1 is valid on replica 2",
          status == 200 and "location" not in headers, f"GET /credentials on replica 2: {status}")
    owner = browser.new_token(replica(2))

    # 3. Revoked on one replica, refused on the other at once.
    status, _, _ = api(replica(1), owner, "POST", "/service_accounts", {"name": "fault-revoke"})
    assert status == 201, status
    status, _, created = api(replica(1), owner, "POST", "/service_accounts/fault-revoke/api_keys", {})
    key, key_id = created["result"]["token"], created["result"]["info"]["id"]
    before = api(replica(2), key, "GET", "/users/me")[0]
    status, _, _ = api(replica(1), owner, "DELETE", f"/api_keys/{key_id}")
    after = api(replica(2), key, "GET", "/users/me")[0]
    check("a key revoked on replica 1 is refused by replica 2 on the next request",
          before == 200 and status in (200, 204) and after == 401,
          f"replica 2 before {before}, revoke on replica 1 {status}, replica 2 after {after}")

    write_load_with_a_replica_killed(owner)
    readers = readers_for(owner, browser)
    postgres_restart_under_load(readers)
    postgres_frozen_under_load(readers)

    sigterm_drains_a_request_in_flight(owner)


def sigterm_drains_a_request_in_flight(owner):
    """7. SIGTERM while a request is in flight on replica 2 (its body still arriving): the
    request completes, then the replica exits, within the bound."""
    import socket

    body = json.dumps({"name": "fault-drain"}).encode()
    sock = socket.create_connection(replica(2), timeout=30)
    head = (
        f"POST /api/v1/service_accounts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {owner}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock.sendall(head + body[:5])
    exited = {}

    def terminate():
        t0 = time.monotonic()
        cluster("term-replica", "2")
        exited["after"] = time.monotonic() - t0
        exited["at"] = time.monotonic()

    signal_at = time.monotonic()
    killer = threading.Thread(target=terminate)
    killer.start()
    time.sleep(1.5)
    sock.sendall(body[5:])
    response = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        response += chunk
    answered_at = time.monotonic()
    sock.close()
    killer.join()
    status = response.split(b" ", 2)[1].decode() if response else "none"
    check("SIGTERM with a request in flight: it completes, then the replica exits within the bound",
          status == "201" and exited["after"] <= SHUTDOWN_BOUND_S and exited["at"] >= answered_at - 0.05,
          f"in-flight request answered {status} {answered_at - signal_at:.2f} s after SIGTERM; "
          f"replica exited {exited['after']:.2f} s after SIGTERM (bound {SHUTDOWN_BOUND_S:.0f} s)")


def write_load_with_a_replica_killed(owner):
    """4. Writers create accounts and keys through the proxy; replica 1 is killed -9 mid-way."""
    acknowledged_accounts, acknowledged_keys, outcomes = [], [], {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w):
        i = 0
        while not stop.is_set():
            name = f"load-{w}-{i}"
            i += 1
            try:
                status, _, _ = api(PROXY, owner, "POST", "/service_accounts", {"name": name})
            except OSError as e:
                status = type(e).__name__
            with lock:
                outcomes[status] = outcomes.get(status, 0) + 1
                if status == 201:
                    acknowledged_accounts.append(name)
            if status != 201:
                continue
            try:
                status, _, body = api(PROXY, owner, "POST", f"/service_accounts/{name}/api_keys", {})
            except OSError as e:
                status, body = type(e).__name__, None
            with lock:
                outcomes[status] = outcomes.get(status, 0) + 1
                if status == 201:
                    acknowledged_keys.append(body["result"]["info"]["id"])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    time.sleep(3)
    cluster("kill-replica", "1")
    time.sleep(3)
    cluster("start-replica", "1")
    time.sleep(2)
    stop.set()
    for t in threads:
        t.join()

    accounts = [a["name"] for a in all_pages(owner, "/service_accounts?count=100") if a["name"].startswith("load-")]
    keys = [k["id"] for k in all_pages(owner, "/api_keys?count=100&email=load-")]
    missing_accounts = set(acknowledged_accounts) - set(accounts)
    missing_keys = set(acknowledged_keys) - set(keys)
    duplicate_accounts = len(accounts) - len(set(accounts))
    duplicate_keys = len(keys) - len(set(keys))
    check("kill -9 of a replica under write load: every acknowledged write is there exactly once",
          not missing_accounts and not missing_keys and duplicate_accounts == 0 and duplicate_keys == 0,
          f"{len(acknowledged_accounts)} accounts and {len(acknowledged_keys)} keys acknowledged; "
          f"missing {len(missing_accounts)}/{len(missing_keys)}, duplicated {duplicate_accounts}/{duplicate_keys}; "
          f"{len(accounts) - len(acknowledged_accounts)} unacknowledged accounts exist; outcomes {outcomes}")


def read_load_during(readers, fault):
    """Four threads per reader (name -> a function returning (status, Retry-After)) through the
    proxy: reading for 1.5 s, then while `fault()` runs, then 8 s more. Returns (results per
    reader name, fault started, fault ended); a result is (start, end, status, Retry-After)."""
    results = {name: [] for name in readers}
    lock = threading.Lock()
    stop = threading.Event()

    def reader(name, read):
        while not stop.is_set():
            t0 = time.monotonic()
            try:
                status, retry = read()
            except OSError as e:
                status, retry = type(e).__name__, None
            with lock:
                results[name].append((t0, time.monotonic(), status, retry))
            time.sleep(0.02)

    threads = [threading.Thread(target=reader, args=item) for item in readers.items() for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    down_at = time.monotonic()
    fault()
    up_at = time.monotonic()
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join()
    return results, down_at, up_at


def readers_for(owner, browser):
    """What the outage checks read: the API with a valid token, a console page with a session."""

    def api_read():
        status, headers, _ = api(PROXY, owner, "GET", "/users/me")
        return status, headers.get("retry-after")

    def page_read():
        status, headers, _ = browser.send(PROXY, "GET", "/credentials")
        return status, headers.get("retry-after")

    return {"API, bearer token": api_read, "console page, session": page_read}


def database_outage(readers, what, fault, bound):
    """5 and 6. Readers through the proxy while the database is unavailable (`what`): no valid
    token or session is ever refused (401, or a page sending the browser to sign in); every
    answer comes within `bound` seconds, failures as 503 with Retry-After (no request held
    longer); requests succeed again within seconds, with no replica restarted."""
    pids = {n: replica_pid(n) for n in (1, 2)}
    by_reader, down_at, up_at = read_load_during(readers, fault)
    restarted = [n for n, pid in pids.items() if replica_pid(n) != pid]
    for name, results in by_reader.items():
        refused = [r for r in results if r[2] in (401, 302, 303)]
        failed = [r for r in results if r[2] != 200]
        bad_failures = [r for r in failed if not (r[2] == 503 and r[3])]
        slowest_failure = max((r[1] - r[0] for r in failed), default=0.0)
        slowest = max((r[1] - r[0] for r in results), default=0.0)
        after_up = [r for r in results if r[0] >= up_at]
        first_ok_after_up = next((r[1] for r in after_up if r[2] == 200), None)
        last_failure = max((r[1] for r in failed), default=down_at)
        recovered_in = (first_ok_after_up - up_at) if first_ok_after_up else None
        statuses = {}
        for r in results:
            statuses[r[2]] = statuses.get(r[2], 0) + 1
        label = f"{what} ({name})"
        check(f"{label}: no valid credential is refused", not refused,
              f"{len(results)} requests, statuses {statuses}")
        check(f"{label}: failures are 503 + Retry-After, every answer within {bound:g} s",
              not bad_failures and slowest <= bound,
              f"{len(failed)} failed, {len(bad_failures)} not 503+Retry-After; slowest failure "
              f"{slowest_failure:.2f} s, slowest answer {slowest:.2f} s")
        check(f"{label}: requests succeed again within seconds, no replica restarted",
              recovered_in is not None and recovered_in <= 5.0 and not restarted and last_failure - up_at <= 5.0,
              f"first success {recovered_in if recovered_in is None else round(recovered_in, 2)} s after PostgreSQL was back, "
              f"last failure {last_failure - up_at:.2f} s after; replicas restarted: {restarted or 'none'}")


def postgres_restart_under_load(readers):
    """5. PostgreSQL stopped for 4 s and started again: connections refused meanwhile."""
    database_outage(readers, "PostgreSQL restart",
                    lambda: cluster("restart-postgres", env={"GATEHOUSE_PG_DOWN_SECONDS": "4"}),
                    bound=5.0)


def postgres_frozen_under_load(readers):
    """6. PostgreSQL frozen for 12 s (SIGSTOP): open connections and new ones get no answer at
    all — a black hole, like a network partition — so only the replicas' own timeouts end a
    request. The token lookup gives up after LOOKUP_TIMEOUT_S; a request waits for at most two
    of those (the batch it queued behind, then its own)."""
    database_outage(readers, "PostgreSQL frozen (black hole)",
                    lambda: cluster("freeze-postgres", env={"GATEHOUSE_PG_DOWN_SECONDS": "12"}),
                    bound=2 * LOOKUP_TIMEOUT_S + 1.0)


if __name__ == "__main__":
    sys.exit(main())
