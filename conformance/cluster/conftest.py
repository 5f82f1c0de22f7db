"""The cluster of `scripts/cluster.sh`, as the tests in this directory see it.

These tests do not start the cluster: `scripts/cluster-test.sh` does (`cluster.sh up`), runs
them, and takes it down. Run by hand against a cluster of your own:

    APUS_CLUSTER_DIR=/tmp/c APUS_RATE_LIMIT_AUTH=1000/60 APUS_BCRYPT_COST=4 APUS_EGRESS_ALLOW=127.0.0.1 scripts/cluster.sh up
    APUS_CLUSTER_DIR=/tmp/c .venv/bin/pytest -q -p no:cacheprovider conformance/cluster

`pytest conformance` leaves this directory out (conformance/conftest.py: collect_ignore).
"""

import json
import os
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SH = ROOT / "scripts" / "cluster.sh"
FULL_NODES = ["node1", "node2", "node3"]
ALL_NODES = [*FULL_NODES, "links1"]
PASSWORD = "correct horse battery"


def wal(position: str) -> int:
    """A PostgreSQL WAL position (`0/16B3748`) as a number, to find the latest of several."""
    high, low = position.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def poll(predicate, timeout: float, interval: float = 0.05):
    """`predicate()` until it is truthy or `timeout` seconds have passed; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


class Cluster:
    """The running cluster: its URL, its nodes' URLs, process ids, settings and metrics."""

    def __init__(self):
        self.state = Path(os.environ.get("APUS_CLUSTER_DIR", ROOT / ".cluster")).resolve()
        self.run_dir = self.state / "run"
        self.settings = {}
        for line in (self.state / "cluster.env").read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                self.settings[key] = value
        status = self.status()
        self.url = status["url"]
        self.nodes = {}
        for component in status["components"]:
            if component["name"] in ALL_NODES:
                self.nodes[component["name"]] = re.match(r"(http://[0-9.]+:\d+)", component["detail"]).group(1)
        assert sorted(self.nodes) == sorted(ALL_NODES), status
        self.replica = f"127.0.0.1:{self.settings['REPLICA_PORT']}"
        self.apus = self.state / "bin" / "apus"

    # --- scripts/cluster.sh ---------------------------------------------------------------

    def script(self, *args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
        """`scripts/cluster.sh ARGS` with this process's environment (APUS_CLUSTER_DIR, APUS_BIN
        and the APUS_* settings the cluster was started with), and `env` on top."""
        return subprocess.run([str(CLUSTER_SH), *args], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})

    def command(self, *args: str, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
        """The cluster's binary run as an operator runs it: `apus ARGS` with the settings
        `cluster.sh env` prints, and `env` on top."""
        return subprocess.run(
            ["bash", "-c", 'settings=$("$0" env) && eval "$settings" && exec "$@"', str(CLUSTER_SH), str(self.apus), *args],
            input=input, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
        )

    def status(self) -> dict:
        return json.loads(self.script("status", "--json", timeout=60).stdout)

    def component(self, name: str) -> dict:
        return next(c for c in self.status()["components"] if c["name"] == name)

    def whole(self) -> bool:
        return self.status()["up"]

    def up(self) -> None:
        """Starts whatever is not running (`cluster.sh up`) and waits until all is up."""
        started = self.script("up")
        assert started.returncode == 0, f"cluster.sh up failed:\n{started.stderr[-3000:]}"
        assert poll(self.whole, 60, 0.5), json.dumps(self.status(), indent=1)

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text().split()[0])

    def log(self, name: str) -> Path:
        return self.state / "logs" / f"{name}.log"

    # --- PostgreSQL ---------------------------------------------------------------------------

    def pg_bin(self, program: str) -> str:
        version = (self.state / "pg" / "primary" / "PG_VERSION").read_text().strip()
        return os.environ.get("APUS_CLUSTER_PG_BIN", f"/usr/lib/postgresql/{version}/bin") + "/" + program

    def as_postgres(self, *command: str, timeout: float = 90) -> subprocess.CompletedProcess:
        """A PostgreSQL program as cluster.sh runs them: as the postgres user when we are root."""
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=timeout)

    def replica_sql(self, *statements: str) -> None:
        args = [self.pg_bin("psql"), "-h", str(self.state / "pg" / "run"), "-p", self.settings["REPLICA_PORT"],
                "-U", "postgres", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", "postgres"]
        for statement in statements:
            args += ["-c", statement]
        done = self.as_postgres(*args)
        assert done.returncode == 0, done.stderr

    # --- metrics ------------------------------------------------------------------------------

    def metric(self, node: str, name: str, **labels) -> float:
        """The sum of `name`'s samples on `node` whose labels include `labels` (0 if none)."""
        text = requests.get(self.nodes[node] + "/metrics", timeout=10).text
        return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                   if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()))

    def total(self, name: str, nodes=FULL_NODES, **labels) -> float:
        return sum(self.metric(node, name, **labels) for node in nodes)


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    try:
        found = Cluster()
    except FileNotFoundError as missing:
        pytest.exit(f"no cluster ({missing}): start one with scripts/cluster.sh up, or run scripts/cluster-test.sh", 2)
    if not found.whole():
        pytest.exit("the cluster is not wholly up:\n" + json.dumps(found.status(), indent=1), 2)
    return found


@pytest.fixture(autouse=True)
def whole_cluster_after(cluster):
    """A test that breaks something puts it back; should it fail half-way, this does."""
    yield
    if not cluster.whole():
        cluster.up()


def sign_up(base: str) -> dict:
    """A new account, signed in: its token, id and Authorization header."""
    email = f"cluster-{uuid.uuid4().hex[:10]}@example.com"
    registered = requests.post(base + "/v1/auth/register", json={"email": email, "password": PASSWORD}, timeout=30)
    assert registered.status_code == 201, registered.text
    return log_in(base, email)


def log_in(base: str, email: str, password: str = PASSWORD) -> dict:
    login = requests.post(base + "/v1/auth/login", json={"email": email, "password": password}, timeout=30)
    assert login.status_code == 200, login.text
    pair = login.json()
    auth = {"Authorization": "Bearer " + pair["access_token"]}
    me = requests.get(base + "/v1/auth/me", headers=auth, timeout=30)
    assert me.status_code == 200, me.text
    return {**pair, "email": email, "token": pair["access_token"], "id": me.json()["id"], "auth": auth}


@pytest.fixture
def new_user(cluster):
    return lambda base=None: sign_up(base or cluster.url)


@pytest.fixture(scope="session")
def admin(cluster) -> dict:
    """An admin made the way an operator makes one: `apus user create` with `cluster.sh env`."""
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    created = cluster.command("user", "create", "--email", email, "--role", "admin", input=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    return log_in(cluster.url, email)


class Load:
    """Requests from `threads` threads, each with its own keep-alive session, until stopped:
    `step(session, number)` makes one and returns (ok, detail); every outcome is kept with the
    time it started and ended."""

    def __init__(self, step, threads: int = 2):
        self.step = step
        self.outcomes: list[tuple[float, float, bool, object]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.work, args=(index,), daemon=True) for index in range(threads)]

    def work(self, index: int) -> None:
        session = requests.Session()
        number = index
        while not self.stopping.is_set():
            began = time.monotonic()
            try:
                ok, detail = self.step(session, number)
            except requests.RequestException as error:
                ok, detail = False, repr(error)
            with self.lock:
                self.outcomes.append((began, time.monotonic(), ok, detail))
            number += len(self.threads)

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def count(self, ok: bool | None = None) -> int:
        with self.lock:
            return sum(1 for o in self.outcomes if ok is None or o[2] == ok)

    def failures(self) -> list:
        with self.lock:
            return [o for o in self.outcomes if not o[2]]

    def slowest(self) -> float:
        """The longest any request took, in seconds."""
        with self.lock:
            return max((o[1] - o[0] for o in self.outcomes), default=0.0)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        assert poll(lambda: self.count(True) >= count, timeout), f"the load made {self.count(True)} requests, not {count}"
