"""Notifications with real peers: aiosmtpd receives the mail, the Standard Webhooks verifier
checks every delivery's signature, receivers fail and recover, and a node killed in the middle of
a batch of jobs loses none of them."""

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks import Webhook

from conftest import Node, free_port

ADMIN = {"email": "notify-admin@example.com", "password": "notify admin password"}


class Receiver:
    """A webhook receiver on loopback. Paths choose its behaviour: /ok answers 204, /flaky fails
    with 503 for its first `fail_first` requests, /down fails with 500 until `healthy`, /resting
    too but asks for a second's rest each time, /gone answers 410, /slow waits 0.3 s."""

    def __init__(self, fail_first: int = 2):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.fail_first = fail_first
        self.healthy = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                    seen = sum(1 for r in receiver.requests if r["path"] == self.path)
                    healthy = receiver.healthy
                status = 204
                if self.path == "/flaky" and not healthy and seen <= receiver.fail_first:
                    status = 503
                elif self.path in ("/down", "/resting") and not healthy:
                    status = 500
                elif self.path == "/gone":
                    status = 410
                elif self.path == "/slow":
                    time.sleep(0.3)
                self.send_response(status)
                if self.path == "/resting" and status == 500:
                    self.send_header("retry-after", "1")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def close(self):
        self.server.shutdown()


@pytest.fixture
def smtp(tmp_path):
    out = tmp_path / "mail"
    out.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("smtp_receiver.py")), "--port", str(port), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout.readline().startswith("ready"), "the SMTP receiver did not start"
    yield port, out
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


def notify_env(engine_env, smtp_port):
    return {
        **engine_env,
        "APUS_ADMIN_EMAIL": ADMIN["email"], "APUS_ADMIN_PASSWORD": ADMIN["password"],
        "APUS_SMTP_URLS": f"smtp://127.0.0.1:{free_port()},smtp://127.0.0.1:{smtp_port}",
        "APUS_SMTP_FROM": "Apus <apus@example.com>",
        "APUS_EGRESS_ALLOW": "127.0.0.1",
        "APUS_JOBS_MAX_ATTEMPTS": "4", "APUS_JOBS_BACKOFF_BASE_MS": "100", "APUS_JOBS_BACKOFF_CAP_MS": "300",
        "APUS_JOBS_POLL_MS": "100", "APUS_JOBS_LEASE_SECONDS": "2",
    }


def admin_headers(base: str) -> dict:
    response = requests.post(base + "/v1/auth/login", json=ADMIN, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["access_token"]}


def wait_for(predicate, timeout: float = 20, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def status_of(base, headers, notification_id) -> dict:
    return requests.get(f"{base}/v1/notifications/{notification_id}", headers=headers, timeout=5).json()


def test_mail_reaches_a_real_smtp_server_well_formed_after_a_provider_falls_back(engine_env, smtp):
    port, out = smtp
    node = Node(notify_env(engine_env, port), [])
    try:
        headers = admin_headers(node.base)
        template = {
            "name": "welcome",
            "subject": "Welcome, {{name}} ✓",
            "text_body": "Hello {{name}},\n.\nYour code is {{code}} & more.",
            "html_body": "<p>Hello <b>{{name}}</b></p>",
        }
        assert requests.post(node.base + "/v1/notification-templates", json=template, headers=headers, timeout=5).status_code == 201
        sent = requests.post(node.base + "/v1/notifications", headers=headers, timeout=5, json={
            "recipient": "ada@example.com", "channel": "email", "template": "welcome",
            "data": {"name": "Ada <Lovelace>", "code": 42}, "category": "account",
        })
        assert sent.status_code == 202, sent.text
        notification = sent.json()
        assert notification["status"] == "queued"
        done = wait_for(lambda: status_of(node.base, headers, notification["id"])["status"] == "delivered")
        assert done, status_of(node.base, headers, notification["id"])
        files = sorted(out.glob("*.eml"))
        assert len(files) == 1
        envelope = json.loads(files[0].with_suffix(".json").read_text())
        assert envelope["rcpt_tos"] == ["ada@example.com"]
        message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
        assert not message.defects
        assert message["Subject"] == "Welcome, Ada <Lovelace> ✓"
        assert message["To"] == "ada@example.com"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert text.replace("\r\n", "\n").strip() == "Hello Ada <Lovelace>,\n.\nYour code is 42 & more."
        assert "<b>Ada &lt;Lovelace&gt;</b>" in html
        detail = status_of(node.base, headers, notification["id"])
        assert [a["outcome"] for a in detail["attempts"]] == ["delivered"]
    finally:
        node.stop()


def test_webhooks_verify_retry_until_the_receiver_recovers_and_dead_ones_replay(engine_env, smtp, receiver):
    node = Node(notify_env(engine_env, smtp[0]), [])
    try:
        headers = admin_headers(node.base)
        endpoints = {}
        for path in ["/flaky", "/down", "/ok"]:
            created = requests.post(node.base + "/v1/webhooks/endpoints", headers=headers, timeout=5,
                                    json={"url": receiver.url(path), "event_types": ["links.link.created"] if path == "/ok" else ["inventory.stock.low"]})
            assert created.status_code == 201, created.text
            assert created.json()["secret"].startswith("whsec_")
            endpoints[path] = created.json()
        assert "secret" not in requests.get(node.base + f"/v1/webhooks/endpoints/{endpoints['/ok']['id']}", headers=headers, timeout=5).json() or \
            requests.get(node.base + f"/v1/webhooks/endpoints/{endpoints['/ok']['id']}", headers=headers, timeout=5).json()["secret"] is None

        def send(path):
            response = requests.post(node.base + "/v1/notifications", headers=headers, timeout=5, json={
                "recipient": endpoints[path]["id"], "channel": "webhook", "body": "ping", "data": {"order": 7}, "category": "orders"})
            assert response.status_code == 202, response.text
            return response.json()["id"]

        flaky = send("/flaky")
        assert wait_for(lambda: status_of(node.base, headers, flaky)["status"] == "delivered")
        detail = status_of(node.base, headers, flaky)
        assert [a["outcome"] for a in detail["attempts"]] == ["failed", "failed", "delivered"]
        assert detail["attempts"][0]["response"] == "HTTP 503"

        down = send("/down")
        assert wait_for(lambda: status_of(node.base, headers, down)["status"] == "dead")
        dead = requests.get(node.base + "/v1/notifications?status=dead", headers=headers, timeout=5).json()["items"]
        assert [n["id"] for n in dead] == [down]
        assert len(status_of(node.base, headers, down)["attempts"]) == 4
        receiver.healthy = True
        retried = requests.post(f"{node.base}/v1/notifications/{down}/retry", headers=headers, timeout=5)
        assert retried.status_code == 200, retried.text
        assert wait_for(lambda: status_of(node.base, headers, down)["status"] == "delivered")
        assert requests.post(f"{node.base}/v1/notifications/{down}/retry", headers=headers, timeout=5).status_code == 409

        # A module event goes to the endpoint subscribed to its type.
        link = requests.post(node.base + "/v1/links", headers=headers, timeout=5, json={"url": "https://example.com/evented"})
        assert link.status_code == 201, link.text
        assert wait_for(lambda: receiver.received("/ok"))
        event = json.loads(receiver.received("/ok")[0]["body"])
        assert event["type"] == "links.link.created"
        assert event["data"]["code"] == link.json()["code"]

        # Every delivery verifies with the Standard Webhooks library and the endpoint's secret.
        for path in ["/flaky", "/down", "/ok"]:
            verifier = Webhook(endpoints[path]["secret"])
            deliveries = receiver.received(path)
            assert deliveries
            for delivery in deliveries:
                payload = verifier.verify(delivery["body"], delivery["headers"])
                assert "type" in payload and "data" in payload
            # Retries keep the message id, so a receiver can drop duplicates.
            assert len({d["headers"]["webhook-id"] for d in deliveries}) == (1 if path != "/ok" else len(deliveries))

        # The queue and the egress client report in /metrics.
        def samples():
            families = text_string_to_metric_families(requests.get(node.base + "/metrics", timeout=5).text)
            return [(sample.name, sample.labels, sample.value) for family in families for sample in family.samples]

        def value(name, **labels):
            return sum(v for n, l, v in samples() if n == name and all(l.get(k) == x for k, x in labels.items()))

        # The receiver may have the last delivery a moment before its job is counted completed.
        assert wait_for(lambda: value("apus_jobs_attempts_total", kind="notifications.deliver", outcome="completed") >= 3)
        assert value("apus_jobs_attempts_total", kind="notifications.deliver", outcome="dead") == 1
        assert value("apus_jobs_attempts_total", kind="notifications.deliver", outcome="retried") >= 5
        assert value("apus_egress_requests_total") >= 9
        assert any(n == "apus_egress_circuit_state" for n, _, _ in samples())
        assert any(n == "apus_jobs_oldest_due_seconds" for n, _, _ in samples())
        # Depth is sampled every few seconds, by kind and state.
        assert wait_for(lambda: any(n == "apus_jobs_depth" and "state" in l for n, l, _ in samples()), timeout=10)
    finally:
        node.stop()


def test_a_410_disables_the_endpoint_and_tells_its_owner(engine_env, smtp, receiver):
    node = Node(notify_env(engine_env, smtp[0]), [])
    try:
        headers = admin_headers(node.base)
        endpoint = requests.post(node.base + "/v1/webhooks/endpoints", headers=headers, timeout=5,
                                 json={"url": receiver.url("/gone"), "event_types": ["*"]}).json()
        sent = requests.post(node.base + "/v1/notifications", headers=headers, timeout=5, json={
            "recipient": endpoint["id"], "channel": "webhook", "body": "bye"}).json()
        assert wait_for(lambda: status_of(node.base, headers, sent["id"])["status"] == "dead")
        assert len(receiver.received("/gone")) == 1
        after = requests.get(f"{node.base}/v1/webhooks/endpoints/{endpoint['id']}", headers=headers, timeout=5).json()
        assert after["disabled"] is True
        inbox = wait_for(lambda: requests.get(node.base + "/v1/inbox", headers=headers, timeout=5).json()["items"])
        assert inbox[0]["category"] == "critical"
        assert endpoint["id"] in json.dumps(inbox[0]["data"])
    finally:
        node.stop()


def test_inbox_preferences_and_idempotent_requests(engine_env, smtp):
    node = Node(notify_env(engine_env, smtp[0]), [])
    try:
        headers = admin_headers(node.base)
        me = requests.get(node.base + "/v1/auth/me", headers=headers, timeout=5).json()
        muted = requests.put(node.base + "/v1/users/me/notification-preferences", headers=headers, timeout=5,
                             json={"categories": {"digest": {"in_app": False}}})
        assert muted.status_code == 200, muted.text
        refused = requests.put(node.base + "/v1/users/me/notification-preferences", headers=headers, timeout=5,
                               json={"categories": {"critical": {"in_app": False}}})
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")

        def send(category, key=None):
            extra = {"Idempotency-Key": key} if key else {}
            return requests.post(node.base + "/v1/notifications", headers={**headers, **extra}, timeout=5, json={
                "recipient": me["id"], "channel": "in_app", "subject": "Hi", "body": f"about {category}", "category": category})

        first = send("billing", key="same-key")
        again = send("billing", key="same-key")
        assert first.status_code == again.status_code == 202
        assert first.json()["id"] == again.json()["id"]
        assert send("digest").json()["status"] == "suppressed"
        assert send("critical").status_code == 202
        assert wait_for(lambda: requests.get(node.base + "/v1/inbox/unread-count", headers=headers, timeout=5).json()["unread"] == 2)
        listed = requests.get(node.base + "/v1/notifications?limit=100", headers=headers, timeout=5).json()["items"]
        assert sorted(n["category"] for n in listed) == ["billing", "critical", "digest"]
        inbox = requests.get(node.base + "/v1/inbox", headers=headers, timeout=5).json()["items"]
        read = requests.post(f"{node.base}/v1/inbox/{inbox[0]['id']}/read", headers=headers, timeout=5)
        assert read.status_code == 200 and read.json()["read_at"]
        assert requests.get(node.base + "/v1/inbox/unread-count", headers=headers, timeout=5).json()["unread"] == 1
        # Unread first.
        assert requests.get(node.base + "/v1/inbox", headers=headers, timeout=5).json()["items"][0].get("read_at") is None
        assert requests.get(node.base + "/v1/inbox", timeout=5).status_code == 401
        assert requests.post(node.base + "/v1/notifications", timeout=5, json={}).status_code == 401
    finally:
        node.stop()


def test_killing_the_node_mid_batch_loses_no_job(engine_env, smtp, receiver):
    env = notify_env(engine_env, smtp[0])
    node = Node(env, [])
    headers = admin_headers(node.base)
    endpoint = requests.post(node.base + "/v1/webhooks/endpoints", headers=headers, timeout=5,
                             json={"url": receiver.url("/slow"), "event_types": ["inventory.stock.low"]}).json()
    ids = []
    for number in range(60):
        response = requests.post(node.base + "/v1/notifications", headers=headers, timeout=5, json={
            "recipient": endpoint["id"], "channel": "webhook", "body": f"job {number}"})
        assert response.status_code == 202
        ids.append(response.json()["id"])
    assert wait_for(lambda: len(receiver.received("/slow")) >= 5, interval=0.02)
    node.process.send_signal(signal.SIGKILL)
    node.process.wait(timeout=10)
    delivered_before = len({r["headers"]["webhook-id"] for r in receiver.received("/slow")})
    assert delivered_before < 60, "the batch finished before the node was killed"
    restarted = Node(env, [])
    try:
        headers = admin_headers(restarted.base)
        everything = lambda: all(status_of(restarted.base, headers, i)["status"] == "delivered" for i in ids)
        assert wait_for(everything, timeout=60, interval=0.5)
        assert {r["headers"]["webhook-id"] for r in receiver.received("/slow")} == set(ids)
    finally:
        restarted.stop()


def test_an_endpoint_failing_longer_than_allowed_is_disabled_and_its_owner_told(engine_env, smtp, receiver):
    node = Node({**notify_env(engine_env, smtp[0]), "APUS_WEBHOOK_DISABLE_AFTER_SECONDS": "1", "APUS_JOBS_MAX_ATTEMPTS": "20"}, [])
    try:
        headers = admin_headers(node.base)
        endpoint = requests.post(node.base + "/v1/webhooks/endpoints", headers=headers, timeout=5,
                                 json={"url": receiver.url("/resting"), "event_types": ["*"]}).json()
        sent = requests.post(node.base + "/v1/notifications", headers=headers, timeout=5, json={
            "recipient": endpoint["id"], "channel": "webhook", "body": "anyone there?"}).json()
        assert wait_for(lambda: status_of(node.base, headers, sent["id"])["status"] == "dead", timeout=30)
        # Retry-After: 1 spaces the attempts, so the second one finds it failing for over a second.
        assert len(receiver.received("/resting")) == 2
        after = requests.get(f"{node.base}/v1/webhooks/endpoints/{endpoint['id']}", headers=headers, timeout=5).json()
        assert after["disabled"] is True
        assert after["failing_since"]
        inbox = wait_for(lambda: requests.get(node.base + "/v1/inbox", headers=headers, timeout=5).json()["items"])
        assert inbox[0]["category"] == "critical"
        # Its owner can enable it again; the failure clock starts afresh.
        enabled = requests.patch(f"{node.base}/v1/webhooks/endpoints/{endpoint['id']}", headers=headers, timeout=5, json={"disabled": False}).json()
        assert enabled["disabled"] is False and "failing_since" not in enabled
    finally:
        node.stop()
