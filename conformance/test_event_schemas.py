"""Every event a webhook receives matches the payload schema its module declares: the OpenAPI
document lists each event type under `webhooks`, and a real receiver checks real deliveries
against those schemas with jsonschema (JSON Schema 2020-12, as OpenAPI 3.1 uses)."""

import json

import jsonschema
import requests

from conftest import Node
from test_notifications import ADMIN, Receiver, admin_headers, wait_for

TUS = {"Tus-Resumable": "1.0.0"}


def test_every_delivered_event_matches_its_declared_schema(engine_env):
    receiver = Receiver()
    env = {**engine_env, "APUS_ADMIN_EMAIL": ADMIN["email"], "APUS_ADMIN_PASSWORD": ADMIN["password"],
           "APUS_EGRESS_ALLOW": "127.0.0.1", "APUS_JOBS_POLL_MS": "100"}
    node = Node(env, [])
    try:
        admin = admin_headers(node.base)
        document = requests.get(node.base + "/v1/openapi.json", timeout=10).json()
        webhooks = document["webhooks"]
        assert {"links.link.created", "identity.user.deleted", "uploads.upload.completed", "inventory.order.paid"} <= set(webhooks)

        # Only types some module emits may be subscribed to.
        refused = requests.post(node.base + "/v1/webhooks/endpoints", headers=admin, timeout=5,
                                json={"url": receiver.url("/ok"), "event_types": ["links.link.clicked"]})
        assert refused.status_code == 422 and "links.link.clicked" in refused.text, refused.text
        created = requests.post(node.base + "/v1/webhooks/endpoints", headers=admin, timeout=5,
                                json={"url": receiver.url("/ok"), "event_types": ["*"]})
        assert created.status_code == 201, created.text

        # Links: created, updated, deleted.
        link = requests.post(node.base + "/v1/links", headers=admin, json={"url": "https://example.com/a"}, timeout=5).json()
        assert requests.patch(f"{node.base}/v1/links/{link['code']}", headers=admin, json={"url": "https://example.com/b"}, timeout=5).status_code == 200
        assert requests.delete(f"{node.base}/v1/links/{link['code']}", headers=admin, timeout=5).status_code == 204

        # Identity: a user disabled, enabled and deleted.
        ada = {"email": "ada@example.com", "password": "ada's long password"}
        assert requests.post(node.base + "/v1/auth/register", json=ada, timeout=5).status_code == 201
        ada_token = requests.post(node.base + "/v1/auth/login", json=ada, timeout=5).json()["access_token"]
        ada_id = requests.get(node.base + "/v1/auth/me", headers={"Authorization": "Bearer " + ada_token}, timeout=5).json()["id"]

        # Uploads: one finished upload, with metadata.
        auth = {"Authorization": "Bearer " + ada_token}
        made = requests.post(node.base + "/v1/uploads", timeout=10, headers={
            **TUS, **auth, "Upload-Length": "3", "Upload-Metadata": "filename YS50eHQ="})
        assert made.status_code == 201, made.text
        url = requests.compat.urljoin(node.base + "/v1/uploads", made.headers["Location"])
        sent = requests.patch(url, data=b"abc", timeout=10, headers={
            **TUS, **auth, "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"})
        assert sent.status_code == 204, sent.text

        for change in ({"disabled": True}, {"disabled": False}):
            assert requests.patch(f"{node.base}/v1/users/{ada_id}", headers=admin, json=change, timeout=5).status_code == 200
        assert requests.delete(f"{node.base}/v1/users/{ada_id}", headers=admin, timeout=5).status_code == 204

        expected = {"links.link.created", "links.link.updated", "links.link.deleted", "uploads.upload.completed",
                    "identity.user.disabled", "identity.user.enabled", "identity.user.deleted"}

        def types():
            return {json.loads(r["body"])["type"] for r in receiver.received("/ok")}

        assert wait_for(lambda: expected <= types()), types()
        for delivery in receiver.received("/ok"):
            body = json.loads(delivery["body"])
            schema = webhooks[body["type"]]["post"]["requestBody"]["content"]["application/json"]["schema"]
            jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(body)
            # A schema that says nothing would pass anything: each names the fields of its data.
            assert schema["properties"]["data"]["required"], body["type"]
    finally:
        node.stop()
        receiver.close()
