"""SIGTERM under load: in-flight requests finish and the process exits 0 within seconds."""

import threading
import time

import requests

from conftest import Node


def test_sigterm_under_load_exits_zero_quickly(engine_env):
    node = Node(engine_env, [])
    stop = threading.Event()
    outcomes = {"ok": 0, "server_error": 0}
    lock = threading.Lock()

    def hammer():
        session = requests.Session()
        while not stop.is_set():
            try:
                response = session.get(node.base + "/health/ready", timeout=5)
            except requests.RequestException:
                # Refused or reset once the listener closes: expected after SIGTERM.
                time.sleep(0.01)
                continue
            with lock:
                outcomes["server_error" if response.status_code >= 500 else "ok"] += 1

    workers = [threading.Thread(target=hammer) for _ in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(2)
    started = time.monotonic()
    code = node.stop(timeout=15)
    elapsed = time.monotonic() - started
    stop.set()
    for worker in workers:
        worker.join()
    assert code == 0, node.logs()
    assert elapsed < 5, f"took {elapsed:.1f}s to stop"
    assert outcomes["ok"] > 50
    assert outcomes["server_error"] == 0
    assert '"apus stopped"' in node.logs()
