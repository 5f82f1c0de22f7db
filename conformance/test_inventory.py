"""Inventory's payment webhook against the real `stripe` library: payloads signed with
`stripe.WebhookSignature.generate_signature_header` are accepted; a tampered body, a wrong
secret and an old timestamp are refused with 400; a replayed event id changes nothing.
`apus inventory import` loads a CSV catalogue with stock, refusing bad products whole, with a
progress bar only when standard error is a terminal."""

import csv
import json
import os
import pty
import re
import select
import subprocess
import termios
import threading
import time
import uuid

import requests
import stripe

from conftest import APUS_BIN, Node, run_apus

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


IMPORT_HEADER = ["product", "sku", "variant", "price", "currency", "published", "stock", "location"]


def write_csv(path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(IMPORT_HEADER)
        writer.writerows(rows)


def import_on_a_terminal(path, env: dict, timeout: float = 180) -> tuple[int, str, str]:
    """`apus inventory import path` with standard error on a pseudo-terminal: (exit code, stdout,
    what reached the terminal). Output post-processing is off so the bytes are as written."""
    master, slave = pty.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    process = subprocess.Popen([APUS_BIN, "inventory", "import", str(path)], env={**os.environ, **env},
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    stdout: list[bytes] = []
    reader = threading.Thread(target=lambda: stdout.append(process.stdout.read()), daemon=True)
    reader.start()
    terminal = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every holder of the terminal's other end has closed it
                break
            if not chunk:
                break
            terminal += chunk
        else:
            process.kill()
            raise AssertionError(f"the import did not finish; the terminal showed:\n{terminal.decode(errors='replace')}")
        code = process.wait(timeout=30)
        reader.join(timeout=30)
    finally:
        os.close(master)
    return code, b"".join(stdout).decode(), terminal.decode(errors="replace")


def test_csv_import_draws_a_bar_on_a_terminal_refuses_bad_products_whole_and_serves_the_rest(engine_env, tmp_path):
    # 40 good products with 1-3 variants each, most with stock at one of two locations (an empty
    # location means `main`); one name needs CSV quoting.
    expected: dict[str, dict] = {}
    rows: list[list[str]] = []

    def line_of_next_row() -> int:
        return len(rows) + 2  # line 1 is the header

    for n in range(40):
        name = 'Tea "Earl Grey", loose' if n == 7 else f"Import product {n:02d}"
        product = {"published": n % 2 == 0, "variants": {}}
        for v in range(1 + n % 3):
            sku = f"IMP-{n:02d}-{v}"
            stock = "" if (n + v) % 4 == 3 else str(n + v + 1)
            location = ["main", "warehouse-b", ""][(n + v) % 3]
            price = 0 if n == 0 else 100 * n + v
            currency = "USD" if n % 5 == 0 else "EUR"
            rows.append([name, sku, f"Size {v}", str(price), currency, "yes" if product["published"] else "no", stock, location])
            product["variants"][sku] = {"name": f"Size {v}", "price": price, "currency": currency,
                                        "stock": int(stock or 0), "location": location or "main"}
        expected[name] = product
        if n == 12:
            # A product whose second row has a negative price: refused whole, its good row too.
            rows.append(["Broken lamp", "LAMP-1", "Brass", "500", "EUR", "yes", "4", "main"])
            bad_price_line = line_of_next_row()
            rows.append(["Broken lamp", "LAMP-2", "Steel", "-300", "EUR", "yes", "4", "main"])
        if n == 25:
            # A product whose second row takes a SKU an earlier product holds: refused whole.
            rows.append(["Copycat", "COPY-1", "Plain", "200", "EUR", "yes", "2", "main"])
            taken_sku_line = line_of_next_row()
            rows.append(["Copycat", "IMP-03-0", "Stolen", "300", "EUR", "yes", "2", "main"])
    variants = sum(len(p["variants"]) for p in expected.values())
    assert (len(expected), variants) == (40, 79)
    first = tmp_path / "products.csv"
    write_csv(first, rows)
    products_in_file = 42

    code, stdout, terminal = import_on_a_terminal(first, engine_env)
    assert "Fatal error" not in terminal and "Server error" not in terminal, terminal
    bars = list(re.finditer(r"\r\[([# ]*)\] (\d+)/(\d+) products(\n?)", terminal))
    assert bars, f"no progress bar on the terminal:\n{terminal!r}"
    counts = [int(bar.group(2)) for bar in bars]
    assert {int(bar.group(3)) for bar in bars} == {products_in_file}, terminal
    assert all(a < b for a, b in zip(counts, counts[1:])), f"the bar's count does not grow: {counts}"
    filled = [bar.group(1).count("#") for bar in bars]
    assert all(len(bar.group(1)) == len(bars[0].group(1)) for bar in bars), terminal
    assert filled == sorted(filled) and filled[-1] == len(bars[-1].group(1)), f"the bar does not fill up: {filled}"
    assert counts[-1] == products_in_file, f"the bar ends at {counts[-1]}/{products_in_file}"
    assert bars[-1].group(4) == "\n", f"the finished bar is not followed by a newline: {terminal[bars[-1].end(3):][:40]!r}"
    assert all(bar.group(4) == "" for bar in bars[:-1]), "a newline inside the bar before it finished"
    assert code == 1, (code, stdout, terminal)
    assert stdout.strip().splitlines()[-1] == f"imported 40 products with {variants} variants; 2 refused", stdout
    refusals = dict((int(m.group(1)), m.group(2)) for m in re.finditer(r"^line (\d+): (.*?)\r?$", terminal[bars[-1].end():], re.M))
    assert len(refusals) == 2, terminal[bars[-1].end():]

    # A second, all-valid file, standard error not a terminal: no bar at all.
    second_rows = []
    for n in range(5):
        name = f"Second batch {n}"
        product = {"published": True, "variants": {}}
        for v in range(2):
            sku = f"SEC-{n}-{v}"
            second_rows.append([name, sku, f"Colour {v}", str(999 + n), "GBP", "true", str(10 * (n + 1) + v), "annex"])
            product["variants"][sku] = {"name": f"Colour {v}", "price": 999 + n, "currency": "GBP", "stock": 10 * (n + 1) + v, "location": "annex"}
        expected[name] = product
    second = tmp_path / "more-products.csv"
    write_csv(second, second_rows)
    plain = run_apus(["inventory", "import", str(second)], engine_env, timeout=120)
    assert plain.returncode == 0, (plain.stdout, plain.stderr)
    assert "\r" not in plain.stderr and not re.search(r"\] \d+/\d+ products", plain.stderr), plain.stderr
    assert not re.search(r"^line \d+:", plain.stderr, re.M), plain.stderr
    assert plain.stdout.strip().splitlines()[-1] == "imported 5 products with 10 variants; 0 refused", plain.stdout

    # A node on the same storage serves what was imported, and nothing of the refused products.
    node = Node({**engine_env, "APUS_ADMIN_EMAIL": "shop@example.com", "APUS_ADMIN_PASSWORD": "shop admin password"}, [])
    try:
        admin = requests.post(node.base + "/v1/auth/login", json={"email": "shop@example.com", "password": "shop admin password"}, timeout=10).json()["access_token"]
        catalogue, cursor = [], ""
        while True:
            page = call(node, "GET", f"/v1/inventory/products?limit=100&cursor={cursor}", admin)
            assert page.status_code == 200, page.text
            catalogue += page.json()["items"]
            if not page.json()["next_cursor"]:
                break
            cursor = page.json()["next_cursor"]
        by_name = {p["name"]: p for p in catalogue}
        assert len(catalogue) == len(by_name) == 45
        assert set(by_name) == set(expected), set(by_name) ^ set(expected)
        for name, product in expected.items():
            served = by_name[name]
            assert served["published"] is product["published"], name
            assert {v["sku"]: {"name": v["name"], "price": v["price"], "currency": v["currency"]} for v in served["variants"]} == \
                {sku: {k: variant[k] for k in ("name", "price", "currency")} for sku, variant in product["variants"].items()}, name
            for sku, variant in product["variants"].items():
                stock = call(node, "GET", f"/v1/inventory/stock?sku={sku}", admin)
                assert stock.status_code == 200, (sku, stock.text)
                stock = stock.json()
                assert (stock["on_hand"], stock["reserved"]) == (variant["stock"], 0), (sku, stock)
                held = {level["location"]: level["on_hand"] for level in stock["levels"] if level["on_hand"]}
                assert held == ({variant["location"]: variant["stock"]} if variant["stock"] else {}), (sku, stock)
        strangers = {p["name"] for p in call(node, "GET", "/v1/inventory/products?limit=100").json()["items"]}
        assert strangers == {name for name, product in expected.items() if product["published"]}
        locations = {location["code"] for location in call(node, "GET", "/v1/inventory/locations", admin).json()["items"]}
        assert {"main", "warehouse-b", "annex"} <= locations
        movements = call(node, "GET", "/v1/inventory/movements?sku=SEC-4-1", admin).json()["items"]
        assert [(m["kind"], m["on_hand_delta"], m["location"]) for m in movements] == [("received", 51, "annex")]
        # Neither refused product left anything: not its good row, nor stock for the taken SKU.
        for sku in ("LAMP-1", "LAMP-2", "COPY-1"):
            assert call(node, "GET", f"/v1/inventory/stock?sku={sku}", admin).status_code == 422, sku
        assert call(node, "GET", "/v1/inventory/stock?sku=IMP-03-0", admin).json()["on_hand"] == expected["Import product 03"]["variants"]["IMP-03-0"]["stock"]
        assert "Server error" not in node.logs()
    finally:
        node.stop()

    # Checked last so that a wrong line number hides none of the above: each refusal names the
    # line of the row at fault, with its reason.
    assert sorted(refusals) == [bad_price_line, taken_sku_line], refusals
    assert "price" in refusals[bad_price_line], refusals
    assert "IMP-03-0" in refusals[taken_sku_line] and "taken" in refusals[taken_sku_line], refusals
