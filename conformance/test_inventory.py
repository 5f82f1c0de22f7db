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


def test_kill_9_mid_burst_loses_and_duplicates_no_acknowledged_reservation(engine_env):
    """A burst of checkouts, each with its own Idempotency-Key, and kill -9 in the middle. After a
    restart every acknowledged checkout is there, the same key answers the same checkout (no
    duplicate), the reserved stock is the sum of what the checkouts hold, and once the holds run
    out the expiry job gives every unit back."""
    import concurrent.futures
    import signal
    import threading

    env = {**engine_env, "APUS_INVENTORY_PAYMENT_SECRET": SECRET, "APUS_INVENTORY_RESERVATION_TTL": "40",
           "APUS_INVENTORY_EXPIRY_INTERVAL": "1", "APUS_ADMIN_EMAIL": "shop@example.com", "APUS_ADMIN_PASSWORD": "shop admin password"}
    node = Node(env, [])
    admin = requests.post(node.base + "/v1/auth/login", json={"email": "shop@example.com", "password": "shop admin password"}, timeout=10).json()["access_token"]
    call(node, "POST", "/v1/inventory/locations", admin, json={"code": "main", "name": "Main"})
    call(node, "POST", "/v1/inventory/products", admin, json={"name": "Pen", "published": True, "variants": [{"sku": "PEN", "name": "Pen", "price": 100, "currency": "EUR"}]})
    call(node, "POST", "/v1/inventory/stock/adjustments", admin, json={"sku": "PEN", "location": "main", "delta": 100000, "reason": "delivery", "kind": "received"})
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    keys = [f"burst-{n}" for n in range(400)]

    def buy(key: str) -> None:
        try:
            response = requests.post(node.base + "/v1/checkouts", json={"lines": [{"sku": "PEN", "quantity": 2}]},
                                     headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": key}, timeout=10)
        except requests.RequestException:
            return
        if response.status_code == 201:
            with lock:
                acknowledged[key] = response.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(buy, key) for key in keys]
        deadline = time.monotonic() + 30
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(timeout=10)
        for future in futures:
            future.result()
    assert 40 <= len(acknowledged) < len(keys), len(acknowledged)

    restarted = Node(env, [])
    try:
        admin = requests.post(restarted.base + "/v1/auth/login", json={"email": "shop@example.com", "password": "shop admin password"}, timeout=10).json()["access_token"]
        for key, checkout_id in acknowledged.items():
            assert call(restarted, "GET", f"/v1/checkouts/{checkout_id}", admin).status_code == 200, key
        # Every key again: an acknowledged one answers its checkout, never a second one.
        final: dict[str, str] = {}
        # A key whose request the crash cut off stays claimed for the platform's lease (30 s).
        lease_over = time.monotonic() + 45
        for key in keys:
            while True:
                response = requests.post(restarted.base + "/v1/checkouts", json={"lines": [{"sku": "PEN", "quantity": 2}]},
                                         headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": key}, timeout=10)
                if response.status_code != 409 or "still being processed" not in response.text or time.monotonic() > lease_over:
                    break
                time.sleep(0.5)
            assert response.status_code == 201, response.text
            final[key] = response.json()["id"]
        for key, checkout_id in acknowledged.items():
            assert final[key] == checkout_id, key
        orders, cursor = [], ""
        while True:
            page = call(restarted, "GET", f"/v1/orders?limit=100&cursor={cursor}", admin).json()
            orders += page["items"]
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        # Requests the crash cut off before their commit left nothing: one checkout per key.
        assert sorted(o["checkout_id"] for o in orders) == sorted(set(final.values()))
        stock = call(restarted, "GET", "/v1/inventory/stock?sku=PEN", admin).json()
        holding = sum(1 for o in orders if o["status"] == "pending_payment")
        assert stock["reserved"] == 2 * holding and stock["on_hand"] == 100000
        # The holds run out and the job gives every unit back.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and call(restarted, "GET", "/v1/inventory/stock?sku=PEN", admin).json()["reserved"] > 0:
            time.sleep(0.5)
        stock = call(restarted, "GET", "/v1/inventory/stock?sku=PEN", admin).json()
        assert stock["reserved"] == 0 and stock["available"] == 100000
        assert "Server error" not in restarted.logs()
    finally:
        restarted.stop()
