"""The running server's answers to good and bad requests, on SQLite and PostgreSQL."""

import requests
from prometheus_client.parser import text_string_to_metric_families


def test_problems_for_unknown_routes_wrong_methods_and_oversized_bodies(node):
    missing = requests.get(node.base + "/nothing/here", timeout=5)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["request_id"] == missing.headers["x-request-id"]

    wrong = requests.delete(node.base + "/health/live", timeout=5)
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD, OPTIONS"
    assert wrong.json()["status"] == 405

    huge = requests.post(node.base + "/health/live", data=b"x" * (4 << 20), timeout=10)
    assert huge.status_code == 405
    assert huge.headers["content-type"] == "application/problem+json"


def test_metrics_are_valid_prometheus_text_with_the_request_histogram(node):
    for _ in range(3):
        requests.get(node.base + "/health/live", timeout=5)
    text = requests.get(node.base + "/metrics", timeout=5).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    histogram = families["apus_http_request_duration_seconds"]
    assert histogram.type == "histogram"
    counts = [s for s in histogram.samples if s.name.endswith("_count") and s.labels["route"] == "/health/live"]
    assert counts and counts[0].value >= 3
    assert families["apus_http_requests"].type == "counter"


def test_request_ids_and_trace_context_are_accepted(node):
    response = requests.get(
        node.base + "/health/ready",
        headers={"X-Request-ID": "conformance-1", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        timeout=5,
    )
    assert response.headers["x-request-id"] == "conformance-1"


def test_a_malformed_chunked_body_is_a_400_and_an_aborted_body_no_error(node):
    """A bad chunk size is the client's fault (400 problem, never 500); a client that leaves in
    the middle of its body is logged as nothing worse than debug."""
    import json
    import socket
    import time

    host, port = "127.0.0.1", node.port

    def exchange(raw: bytes) -> bytes:
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(raw)
            chunks = b""
            try:
                while b"\r\n\r\n" not in chunks or len(chunks) < 20:
                    data = sock.recv(4096)
                    if not data:
                        break
                    chunks += data
            except socket.timeout:
                pass
            return chunks

    answer = exchange(
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"application/problem+json" in answer
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{\"em")
    time.sleep(0.5)
    assert requests.get(node.base + "/health/live", timeout=5).status_code == 200
    errors = [line for line in node.logs().splitlines() if line.startswith("{") and json.loads(line).get("level") in ("error", "critical")]
    assert errors == [], errors
