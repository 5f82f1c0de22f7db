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
