"""Every operation the OpenAPI document marks as signed-in, across every module the binary
runs, refuses a request with no token, a malformed token, a forged access token and an unknown
API key: 401 with a Bearer challenge, whatever the method and body, in the content type the
document gives its 401 (problem+json, or a protocol's own: Loki's plain text, Elasticsearch's
JSON)."""

import re

import requests

BAD_CREDENTIALS = {
    "no token": None,
    "not bearer": "Basic dXNlcjpwYXNz",
    "garbage": "Bearer not-a-token",
    "forged jwt": "Bearer eyJhbGciOiJFZERTQSIsImtpZCI6ImtleV94IiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    "unknown api key": "Bearer apus_0123456789abcdef0123456789abcdef",
}


def secured_operations(document: dict) -> list[tuple[str, str, str]]:
    """Each signed-in operation with the content type its 401 is documented in."""
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete") and operation.get("security"):
                refused = operation["responses"]["401"]
                if "$ref" in refused:
                    refused = document["components"]["responses"][refused["$ref"].rsplit("/", 1)[-1]]
                content_type = next(iter(refused.get("content", {"application/problem+json": None})))
                operations.append((method.upper(), re.sub(r"\{[^}]+\}", "abc123", path), content_type))
    return operations


def test_every_signed_in_operation_refuses_missing_and_wrong_credentials(node):
    document = requests.get(node.base + "/v1/openapi.json", timeout=10).json()
    operations = secured_operations(document)
    tags = {tag for item in document["paths"].values() for operation in item.values() if isinstance(operation, dict) for tag in operation.get("tags", [])}
    # The whole binary: platform routes and every module's.
    assert {"identity", "jobs", "links", "notifications", "webhooks"} <= tags and len(operations) > 30, (tags, len(operations))
    for method, path, content_type in operations:
        for name, authorization in BAD_CREDENTIALS.items():
            headers = {"Authorization": authorization} if authorization else {}
            response = requests.request(method, node.base + path, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None, timeout=10)
            assert response.status_code == 401, f"{method} {path} with {name}: {response.status_code} {response.text[:200]}"
            assert response.headers["content-type"].startswith(content_type), f"{method} {path} with {name}: {response.headers['content-type']}"
            assert response.headers.get("www-authenticate", "").startswith("Bearer"), f"{method} {path} with {name}"


def test_guessing_api_keys_from_one_address_runs_into_429(engine_env):
    """200 random keys from one address: the first ones are 401, the rest 429 with Retry-After,
    at the shipped APUS_RATE_LIMIT_AUTH_FAILURES of 60 a minute."""
    import secrets

    from conftest import Node

    env = {name: value for name, value in engine_env.items() if name != "APUS_RATE_LIMIT_AUTH_FAILURES"}
    node = Node(env, [])
    try:
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        responses = []
        for _ in range(200):
            key = "apus_" + "".join(secrets.choice(alphabet) for _ in range(33))
            responses.append(requests.get(node.base + "/v1/auth/me", headers={"Authorization": f"Bearer {key}"}, timeout=10))
        statuses = [response.status_code for response in responses]
        assert set(statuses) == {401, 429}, statuses
        assert 60 <= statuses.count(401) <= 75, statuses.count(401)
        assert all(response.headers.get("retry-after") for response in responses if response.status_code == 429)
    finally:
        node.stop()
