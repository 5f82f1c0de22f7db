"""Inventory's payment webhook against the real `stripe` library: payloads signed with
`stripe.WebhookSignature.generate_signature_header` are accepted; a tampered body, a wrong
secret and an old timestamp are refused with 400; a replayed event id changes nothing."""

import json
import time
import uuid

import requests
import stripe

from conftest import Node

SECRET = "whsec_" + uuid.uuid4().hex


def start(engine_env) -> tuple[Node, str]:
    node = Node({**engine_env, "APUS_INVENTORY_PAYMENT_SECRET": SECRET, "APUS_ADMIN_EMAIL": "shop@example.com", "APUS_ADMIN_PASSWORD": "shop admin password"}, [])
    login = requests.post(node.base + "/v1/auth/login", json={"email": "shop@example.com", "password": "shop admin password"}, timeout=10)
    return node, login.json()["access_token"]


def call(node: Node, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, node.base + path, headers=headers, timeout=10, **kwargs)


def payment_event(checkout_id: str, amount: int, event_id: str | None = None) -> str:
    return json.dumps({
        "id": event_id or "evt_" + uuid.uuid4().hex, "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_" + uuid.uuid4().hex[:12], "object": "payment_intent", "amount": amount, "amount_received": amount,
                            "currency": "eur", "metadata": {"checkout_id": checkout_id}}},
    })


def deliver(node: Node, payload: str, header: str) -> requests.Response:
    return requests.post(node.base + "/v1/payments/webhook", data=payload.encode(), headers={"Stripe-Signature": header, "Content-Type": "application/json"}, timeout=10)


def test_stripe_signed_payments_are_taken_once_and_forgeries_refused(engine_env):
    node, admin = start(engine_env)
    try:
        assert call(node, "POST", "/v1/inventory/locations", admin, json={"code": "main", "name": "Main"}).status_code == 201
        product = call(node, "POST", "/v1/inventory/products", admin, json={
            "name": "Mug", "published": True, "variants": [{"sku": "MUG-1", "name": "Mug", "price": 1250, "currency": "EUR"}],
        })
        assert product.status_code == 201, product.text
        assert product.headers["ETag"] == '"1"'
        assert call(node, "POST", "/v1/inventory/stock/adjustments", admin, json={"sku": "MUG-1", "location": "main", "delta": 5, "reason": "delivery", "kind": "received"}).status_code == 201
        # Strangers see the published catalogue.
        assert [p["name"] for p in call(node, "GET", "/v1/inventory/products").json()["items"]] == ["Mug"]

        requests.post(node.base + "/v1/auth/register", json={"email": "buyer@example.com", "password": "buyer password 1"}, timeout=10)
        buyer = requests.post(node.base + "/v1/auth/login", json={"email": "buyer@example.com", "password": "buyer password 1"}, timeout=10).json()["access_token"]
        checkout = call(node, "POST", "/v1/checkouts", buyer, json={"lines": [{"sku": "MUG-1", "quantity": 2}]}, )
        assert checkout.status_code == 201, checkout.text
        checkout = checkout.json()
        assert checkout["amount"] == 2500

        def stock():
            return call(node, "GET", "/v1/inventory/stock?sku=MUG-1", admin).json()

        def order_status():
            return call(node, "GET", f"/v1/orders/{checkout['order_id']}", buyer).json()["status"]

        payload = payment_event(checkout["id"], 2500, event_id="evt_conformance_1")
        # Refused: a tampered body, a wrong secret, a timestamp past the tolerance.
        tampered = payload.replace("2500", "1")
        assert deliver(node, tampered, stripe.WebhookSignature.generate_signature_header(payload, SECRET)).status_code == 400
        assert deliver(node, payload, stripe.WebhookSignature.generate_signature_header(payload, "whsec_wrong")).status_code == 400
        old = deliver(node, payload, stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=int(time.time()) - 3600))
        assert old.status_code == 400
        assert old.headers["Content-Type"].startswith("application/problem+json")
        assert deliver(node, payload, "t=1,v1=nothing").status_code == 400
        assert order_status() == "pending_payment"
        assert stock()["reserved"] == 2

        accepted = deliver(node, payload, stripe.WebhookSignature.generate_signature_header(payload, SECRET))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["outcome"] == "paid"
        assert order_status() == "paid"
        assert stock()["on_hand"] == 3 and stock()["reserved"] == 0

        # The same event id again (freshly signed): 200, nothing changes.
        replay = deliver(node, payload, stripe.WebhookSignature.generate_signature_header(payload, SECRET))
        assert replay.status_code == 200
        assert replay.json()["outcome"] == "duplicate"
        assert stock()["on_hand"] == 3 and stock()["reserved"] == 0

        # Secret rotation: a header with an old and the current signature is taken.
        second = call(node, "POST", "/v1/checkouts", buyer, json={"lines": [{"sku": "MUG-1", "quantity": 1}]}).json()
        payload = payment_event(second["id"], 1250)
        current = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
        stale = stripe.WebhookSignature.generate_signature_header(payload, "whsec_previous", timestamp=int(current.split(",")[0][2:]))
        rotated = f"{current},v1={stale.split('v1=')[1]}"
        assert deliver(node, payload, rotated).json()["outcome"] == "paid"
        assert stock()["on_hand"] == 2

        movements = call(node, "GET", "/v1/inventory/movements?sku=MUG-1", admin).json()["items"]
        assert [m["kind"] for m in movements] == ["received", "reserved", "committed", "reserved", "committed"]
        assert sum(m["on_hand_delta"] for m in movements) == 2 and sum(m["reserved_delta"] for m in movements) == 0
        assert "Server error" not in node.logs()
    finally:
        node.stop()
