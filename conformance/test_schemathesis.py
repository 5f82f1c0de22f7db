"""schemathesis drives the running server from its own OpenAPI document, signed in as an admin."""

import os
import shutil
import subprocess
import sys

import requests

from conftest import Node

HERE = os.path.dirname(os.path.abspath(__file__))


def test_schemathesis_finds_no_server_error_and_no_contradiction(engine_env, tmp_path):
    node = Node({**engine_env, "APUS_ADMIN_EMAIL": "fuzz@example.com", "APUS_ADMIN_PASSWORD": "fuzzing password"}, [])
    try:
        login = requests.post(node.base + "/v1/auth/login", json={"email": "fuzz@example.com", "password": "fuzzing password"}, timeout=10)
        # Every scope the node knows, so the fuzzer reaches every operation.
        scopes = requests.get(node.base + "/v1/openapi.json", timeout=10).json()["components"]["schemas"]["Scope"]["enum"]
        key = requests.post(
            node.base + "/v1/api-keys",
            json={"name": "schemathesis", "scopes": scopes},
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            timeout=10,
        ).json()["key"]
        shutil.copy(os.path.join(HERE, "schemathesis.toml"), tmp_path / "schemathesis.toml")
        st = os.path.join(os.path.dirname(sys.executable), "st")
        result = subprocess.run(
            [
                st, "--config-file", str(tmp_path / "schemathesis.toml"), "run", node.base + "/v1/openapi.json",
                "--url", node.base,
                "--header", f"Authorization: Bearer {key}",
                "--max-examples", os.environ.get("APUS_SCHEMATHESIS_EXAMPLES", "50"),
                "--seed", "1",
                "--no-color",
            ],
            capture_output=True, text=True, timeout=900, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": HERE},
        )
        print(result.stdout[-30000:])
        print(result.stderr[-2000:])
        assert result.returncode == 0, "schemathesis reported failures (output above)"
        assert "Server error" not in node.logs()
    finally:
        node.stop()
