"""How `apus` starts, refuses bad configuration, and migrates on either engine."""

import json
import os
import stat

from conftest import APUS_BIN, Node, postgres_env, run_apus


def test_an_invalid_port_exits_non_zero_with_a_clear_message(tmp_path):
    result = run_apus(["serve"], {"APUS_PORT": "99999", "APUS_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "APUS_PORT" in result.stderr and "99999" in result.stderr


def test_an_unreachable_database_exits_non_zero_quickly(tmp_path):
    result = run_apus(["serve"], {"APUS_DATABASE_URL": "postgres://apus:x@127.0.0.1:1/apus?sslmode=disable"}, timeout=30)
    assert result.returncode == 78
    assert "cannot reach postgres at 127.0.0.1:1/apus" in result.stderr
    assert "x@" not in result.stderr


def test_a_malformed_database_url_is_refused(tmp_path):
    result = run_apus(["serve", "--database-url", "mysql://u@h/db"], {"APUS_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "postgres://" in result.stderr


def test_an_unwritable_data_dir_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_apus(["serve", "--data-dir", str(blocker / "data")], {})
    assert result.returncode == 78
    assert "APUS_DATA_DIR" in result.stderr


def test_an_unknown_module_is_refused(tmp_path):
    result = run_apus(["serve"], {"APUS_MODULES": "nonsense", "APUS_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "unknown module 'nonsense'" in result.stderr


def test_a_bad_module_setting_stops_only_nodes_that_run_the_module(tmp_path):
    bad = {"APUS_SMTP_URLS": "gopher://nowhere", "APUS_DATA_DIR": str(tmp_path)}
    result = run_apus(["serve"], bad)
    assert result.returncode == 78
    assert "APUS_SMTP_URLS" in result.stderr
    # Migrating reads no module's settings.
    assert run_apus(["migrate"], bad).returncode == 0
    # A node without notifications starts despite the setting.
    node = Node({**bad, "APUS_MODULES": "links"}, [])
    try:
        import requests

        assert requests.get(node.base + "/health/ready", timeout=5).json() == {"status": "ready"}
    finally:
        assert node.stop() == 0


def test_a_binary_with_modules_of_its_own_serves_them_and_refuses_what_its_catalog_cannot_use(tmp_path):
    """`apus-release-drill` is built on ApusNode's commands with a catalog of its own: every
    shipped module plus the bookmarks module in the release APUS_DRILL_RELEASE names."""
    import subprocess

    drill = os.path.join(os.path.dirname(APUS_BIN), "apus-release-drill")
    env = {**os.environ, "APUS_DATA_DIR": str(tmp_path)}
    refused = subprocess.run([drill, "migrate"], env={**env, "APUS_DRILL_RELEASE": "9"}, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 64
    assert refused.stderr.strip() == "apus: invalid configuration: APUS_DRILL_RELEASE: must be a release from 0 to 4, not '9'"
    listed = subprocess.run([drill, "migrate", "--status"], env={**env, "APUS_DRILL_RELEASE": "2"}, capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0, listed.stderr
    bookmarks = [line.split("\t")[0] for line in listed.stdout.splitlines() if line.startswith("bookmarks/")]
    assert bookmarks == ["bookmarks/0001_bookmarks", "bookmarks/0002_bookmark_target", "bookmarks/0003_bookmark_target_filled"]
    assert any(line.startswith("links/") for line in listed.stdout.splitlines()), "the shipped modules come too"


def test_a_second_server_on_one_sqlite_data_dir_is_refused(tmp_path):
    node = Node({"APUS_DATA_DIR": str(tmp_path)}, [])
    try:
        second = run_apus(["serve", "--port", "0"], {"APUS_DATA_DIR": str(tmp_path)})
        assert second.returncode == 78
        assert "another apus server is running" in second.stderr and "APUS_DATA_DIR" in second.stderr
        # Commands beside the server still work on the same data dir.
        assert run_apus(["migrate", "--status"], {"APUS_DATA_DIR": str(tmp_path)}).returncode == 0
    finally:
        assert node.stop() == 0
    # Once the first is gone, the directory is free again.
    again = Node({"APUS_DATA_DIR": str(tmp_path)}, [])
    assert again.stop() == 0


def test_the_embedded_default_creates_its_data_dir_and_is_ready(tmp_path):
    data = tmp_path / "fresh" / "data"
    node = Node({"APUS_DATA_DIR": str(data)}, [])
    try:
        import requests

        assert requests.get(node.base + "/health/ready", timeout=5).json() == {"status": "ready"}
        assert (data / "apus.sqlite").exists()
    finally:
        assert node.stop() == 0


def test_postgres_migrations_apply_once_and_restart_is_idempotent():
    env = postgres_env()
    status = run_apus(["migrate", "--status"], env)
    assert status.returncode == 0, status.stderr
    pending = [line for line in status.stdout.splitlines() if line.endswith("pending")]
    assert pending, status.stdout
    first = run_apus(["migrate"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("applied ") == len(pending)
    again = run_apus(["migrate"], env)
    assert again.stdout.strip() == "nothing to apply"
    for _ in range(2):
        node = Node(env, [])
        try:
            import requests

            assert requests.get(node.base + "/health/ready", timeout=5).status_code == 200
        finally:
            assert node.stop() == 0
        assert '"applied migration"' not in node.logs()
    status = run_apus(["migrate", "--status"], env)
    assert "pending" not in status.stdout


def test_no_migrate_leaves_the_node_unready_until_migrated():
    env = postgres_env()
    node = Node(env, ["--no-migrate"])
    try:
        import requests

        response = requests.get(node.base + "/health/ready", timeout=5)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "pending" in response.json()["detail"]
        assert run_apus(["migrate"], env).returncode == 0
        assert requests.get(node.base + "/health/ready", timeout=5).status_code == 200
    finally:
        assert node.stop() == 0


def test_a_stalled_client_is_cut_off_and_shutdown_does_not_wait_for_it(tmp_path):
    """One byte of a 50-byte body, then silence: the connection is closed after
    APUS_HTTP_IDLE_TIMEOUT; and SIGTERM with such a client still connected ends within
    APUS_SHUTDOWN_GRACE instead of waiting for it."""
    import socket
    import time

    node = Node({"APUS_DATA_DIR": str(tmp_path / "a"), "APUS_HTTP_IDLE_TIMEOUT": "1"}, [])
    try:
        with socket.create_connection(("127.0.0.1", node.port), timeout=10) as sock:
            sock.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 8:
                try:
                    if sock.recv(4096) == b"":
                        closed = True
                        break
                except (ConnectionResetError, socket.timeout):
                    closed = True
                    break
            assert closed and time.monotonic() - started < 5
    finally:
        assert node.stop() == 0

    node = Node({"APUS_DATA_DIR": str(tmp_path / "b"), "APUS_HTTP_IDLE_TIMEOUT": "120", "APUS_SHUTDOWN_GRACE": "1"}, [])
    sock = socket.create_connection(("127.0.0.1", node.port), timeout=10)
    try:
        sock.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
        time.sleep(0.3)
        started = time.monotonic()
        code = node.stop(timeout=15)
        assert time.monotonic() - started < 8, "shutdown waited for the stalled client"
        assert code in (0, 1), code
    finally:
        sock.close()


def test_a_person_at_a_terminal_is_greeted_and_a_machine_gets_json_lines(tmp_path):
    import pty
    import select
    import signal
    import subprocess
    import time

    from conftest import APUS_BIN, free_port

    port = free_port()
    env = {**os.environ, "APUS_PORT": str(port), "APUS_HOST": "127.0.0.1", "APUS_DATA_DIR": str(tmp_path / "tty")}
    env.pop("APUS_LOG_FORMAT", None)
    leader, follower = pty.openpty()
    process = subprocess.Popen([APUS_BIN, "serve"], env=env, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while b"Stop with Ctrl-C." not in seen and time.monotonic() < deadline:
            if select.select([leader], [], [], 1)[0]:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        os.close(leader)
    text = seen.decode(errors="replace")
    assert f"is serving http://127.0.0.1:{port}" in text
    assert f"http://127.0.0.1:{port}/v1/openapi.json" in text and "No admin yet" in text
    # Log lines for a person are text, not JSON objects.
    assert not any(line.startswith("{") for line in text.splitlines())

    # The same start without a terminal writes JSON lines and no banner.
    node = Node({"APUS_DATA_DIR": str(tmp_path / "pipe")}, [])
    try:
        # The node answers once it listens, after it logged that it does.
        deadline = time.monotonic() + 10
        while "apus listening" not in (logs := node.logs()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "apus listening" in logs, f"port {node.port}, exit {node.process.poll()}: {logs!r}"
        assert "is serving" not in logs
        lines = [line for line in logs.splitlines() if line.strip()]
        assert lines and all(json.loads(line)["message"] for line in lines)
    finally:
        node.stop()
