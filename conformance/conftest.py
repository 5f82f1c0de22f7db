"""Fixtures that start real `apus` nodes on this machine and stop them with SIGTERM."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

APUS_BIN = os.environ.get("APUS_BIN", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "apus"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Node:
    """One running `apus serve` process."""

    def __init__(self, env: dict, args: list[str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "APUS_PORT": str(self.port), "APUS_HOST": "127.0.0.1"}
        self.log = tempfile.NamedTemporaryFile(prefix="apus-node-", suffix=".log", delete=False)
        self.process = subprocess.Popen([APUS_BIN, "serve", *args], env=self.env, stdout=self.log, stderr=self.log)
        self.wait_until_live()

    def wait_until_live(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"apus exited with {self.process.returncode}:\n{self.logs()}")
            try:
                if requests.get(self.base + "/health/live", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"apus did not come up:\n{self.logs()}")

    def logs(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def stop(self, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def run_apus(args: list[str], env: dict, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([APUS_BIN, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout)


def postgres_url() -> str:
    url = os.environ.get("APUS_TEST_POSTGRES_URL")
    if not url:
        raise RuntimeError("APUS_TEST_POSTGRES_URL is not set: run through scripts/test.sh")
    return url


def postgres_env() -> dict:
    """The database settings of a node on a fresh, empty database of the test server: through
    PgBouncer in transaction mode when APUS_TEST_PGBOUNCER_URL names one, with the server's own
    URL as APUS_DATABASE_DIRECT_URL for the bus's session."""
    name = "apus_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True, env=os.environ)
    direct = database_url(postgres_url(), name)
    pooler = os.environ.get("APUS_TEST_PGBOUNCER_URL")
    if not pooler:
        return {"APUS_DATABASE_URL": direct}
    return {"APUS_DATABASE_URL": database_url(pooler, name), "APUS_DATABASE_DIRECT_URL": direct}


def database_url(server: str, name: str) -> str:
    """`server`'s URL with the database `name`."""
    base, _, query = server.partition("?")
    root = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{root}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(params=["sqlite", "postgres"])
def engine_env(request, tmp_path):
    """Environment for a node on each engine, on fresh storage."""
    # bcrypt at its lowest cost keeps sign-ups fast; the rate limits stay as shipped except for
    # sign-in and failed authentication, which the tests drive harder than a person would.
    env = {
        "APUS_DATA_DIR": str(tmp_path / "data"), "APUS_LOG_LEVEL": "info", "APUS_BCRYPT_COST": "4", "APUS_RATE_LIMIT_AUTH": "1000/60",
        # The access and fuzzing tests send wrong credentials by the hundred on purpose.
        "APUS_RATE_LIMIT_AUTH_FAILURES": "100000/60",
    }
    if request.param == "postgres":
        env.update(postgres_env())
    return env


@pytest.fixture
def node(engine_env):
    started = Node(engine_env, [])
    yield started
    started.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "recs: the recs module's ALS against the implicit library (conformance/test_recs.py)")


# conformance/cluster drives a whole cluster of scripts/cluster.sh: scripts/cluster-test.sh runs it.
collect_ignore = ["cluster"]
