"""schemathesis drives the running server from its own OpenAPI document."""

import os
import subprocess
import sys


def test_schemathesis_finds_no_server_error_and_no_contradiction(node, tmp_path):
    st = os.path.join(os.path.dirname(sys.executable), "st")
    result = subprocess.run(
        [
            st, "run", node.base + "/v1/openapi.json",
            "--url", node.base,
            "--checks", "all",
            "--max-examples", os.environ.get("APUS_SCHEMATHESIS_EXAMPLES", "50"),
            "--seed", "1",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    print(result.stdout[-6000:])
    print(result.stderr[-2000:])
    assert result.returncode == 0, "schemathesis reported failures (output above)"
