"""Hardening against races and costly input, each on SQLite and PostgreSQL:

- a succeeded payment racing the buyer's cancel, or the expiry job, is never `ignored`: the
  order ends `paid` (or `refund_needed`) as the webhook said, and the stock agrees;
- a JSON body of nested arrays that fails to decode costs about what a flat body of the same
  size costs, and is answered 4xx;
- the uploads quota holds for a deferred length streamed chunk by chunk, for final uploads
  assembled from one part, and for uploads created all at once;
- bytes a PATCH streamed before SIGTERM are kept, as they are when the client disconnects.
"""

import concurrent.futures
import json
import os
import select
import signal
import socket
import statistics
import subprocess
import threading
import time
import uuid

import requests
import stripe

from conftest import Node

SECRET = "whsec_" + uuid.uuid4().hex
ADMIN_EMAIL, ADMIN_PASSWORD = "shop@example.com", "shop admin password"
ADMIN = {"APUS_ADMIN_EMAIL": ADMIN_EMAIL, "APUS_ADMIN_PASSWORD": ADMIN_PASSWORD}
TUS = {"Tus-Resumable": "1.0.0"}
KIB, MIB = 1024, 1024 * 1024
STOCK = 1000


# MARK: helpers


def login(base: str, email: str, password: str) -> str:
    response = requests.post(base + "/v1/auth/login", json={"email": email, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def sign_up(base: str) -> str:
    email, password = f"h-{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
    assert requests.post(base + "/v1/auth/register", json={"email": email, "password": password}, timeout=10).status_code == 201
    return login(base, email, password)


def call(node: Node, method: str, path: str, token: str | None = None, timeout: float = 10, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, node.base + path, headers=headers, timeout=timeout, **kwargs)


def shop(engine_env: dict, **settings: str) -> tuple[Node, str, str]:
    """A node taking signed payments, with one product (SKU `PEN`, 1.00 EUR) and STOCK units at
    `main`; returns it with an admin's and a buyer's access tokens."""
    node = Node({**engine_env, "APUS_INVENTORY_PAYMENT_SECRET": SECRET, **ADMIN, **settings}, [])
    try:
        admin = login(node.base, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert call(node, "POST", "/v1/inventory/locations", admin, json={"code": "main", "name": "Main"}).status_code == 201
        product = call(node, "POST", "/v1/inventory/products", admin, json={
            "name": "Pen", "published": True, "variants": [{"sku": "PEN", "name": "Pen", "price": 100, "currency": "EUR"}]})
        assert product.status_code == 201, product.text
        stocked = call(node, "POST", "/v1/inventory/stock/adjustments", admin,
                       json={"sku": "PEN", "location": "main", "delta": STOCK, "reason": "delivery", "kind": "received"})
        assert stocked.status_code == 201, stocked.text
        return node, admin, sign_up(node.base)
    except BaseException:
        node.stop()
        raise


def checkout(node: Node, buyer: str, quantity: int = 1) -> dict:
    response = call(node, "POST", "/v1/checkouts", buyer, json={"lines": [{"sku": "PEN", "quantity": quantity}]})
    assert response.status_code == 201, response.text
    return response.json()


def signed_payment(checkout_: dict) -> tuple[bytes, str]:
    """A `payment_intent.succeeded` for the checkout's exact amount and currency, and its
    `Stripe-Signature` header."""
    payload = json.dumps({
        "id": "evt_" + uuid.uuid4().hex, "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_" + uuid.uuid4().hex[:12], "object": "payment_intent", "amount": checkout_["amount"],
                            "amount_received": checkout_["amount"], "currency": checkout_["currency"].lower(),
                            "metadata": {"checkout_id": checkout_["id"]}}},
    })
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, SECRET)


def deliver(node: Node, payment: tuple[bytes, str]) -> requests.Response:
    payload, header = payment
    return requests.post(node.base + "/v1/payments/webhook", data=payload, timeout=30,
                         headers={"Stripe-Signature": header, "Content-Type": "application/json"})


def stock(node: Node, admin: str) -> dict:
    response = call(node, "GET", "/v1/inventory/stock?sku=PEN", admin)
    assert response.status_code == 200, response.text
    return response.json()


def settle_payments(node: Node, admin: str, buyer: str, races: list[dict], what: str) -> None:
    """Every payment was taken (`paid` or `refund_needed`, never `ignored`), its order says the
    same, and the stock lost exactly the units of the paid orders and holds nothing."""
    problems = [r for r in races if r["payment"].status_code != 200]
    assert not problems, [(r["checkout"]["id"], r["payment"].status_code, r["payment"].text[:200]) for r in problems]
    outcomes = [r["payment"].json()["outcome"] for r in races]
    ignored = [(r["checkout"]["id"], r.get("other")) for r, outcome in zip(races, outcomes) if outcome not in ("paid", "refund_needed")]
    assert not ignored, (f"{len(ignored)} of {len(races)} succeeded payments racing {what} were answered other than paid/refund_needed "
                         f"(outcomes {sorted(set(outcomes))}); the money was taken and the order left unpaid: {ignored[:5]}")
    for race, outcome in zip(races, outcomes):
        order = call(node, "GET", f"/v1/orders/{race['checkout']['order_id']}", buyer)
        assert order.status_code == 200, order.text
        assert order.json()["status"] == outcome, (f"the webhook answered {outcome} but the order is {order.json()['status']}", race["checkout"]["id"])
    paid_units = sum(r["checkout"]["lines"][0]["quantity"] for r, outcome in zip(races, outcomes) if outcome == "paid")
    deadline = time.monotonic() + 10
    while stock(node, admin)["reserved"] and time.monotonic() < deadline:
        time.sleep(0.1)
    level = stock(node, admin)
    assert (level["on_hand"], level["reserved"]) == (STOCK - paid_units, 0), \
        f"{paid_units} units were paid for out of {STOCK}, so on_hand should be {STOCK - paid_units} with none reserved: {level}"


# MARK: 1. payments racing a cancel and an expiry


def test_a_payment_racing_the_buyers_cancel_is_never_ignored(engine_env):
    """30 times, the buyer's cancel and a correctly signed payment of the checkout arrive at
    about the same moment (the payment 0-8 ms later). Whichever commits first, the payment is
    taken: its answer is `paid` (or `refund_needed`), never `ignored`, and the order's status
    is that outcome; the stock lost the paid units only. The cancel is answered 200 or 409."""
    node, admin, buyer = shop(engine_env)
    try:
        races = []
        for index in range(30):
            bought = checkout(node, buyer)
            payment = signed_payment(bought)
            start = threading.Barrier(2)
            answers: dict = {}

            def cancel(bought=bought, start=start, answers=answers):
                start.wait()
                answers["cancel"] = call(node, "POST", f"/v1/checkouts/{bought['id']}/cancel", buyer, timeout=30)

            def pay(payment=payment, start=start, answers=answers, lag=(index % 5) * 0.002):
                start.wait()
                # Up to 8 ms after the cancel, so that each side is sometimes first.
                time.sleep(lag)
                answers["payment"] = deliver(node, payment)

            threads = [threading.Thread(target=cancel), threading.Thread(target=pay)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert set(answers) == {"cancel", "payment"}, answers
            assert answers["cancel"].status_code in (200, 409), (answers["cancel"].status_code, answers["cancel"].text[:300])
            races.append({"checkout": bought, "payment": answers["payment"], "other": f"cancel {answers['cancel'].status_code}"})
        settle_payments(node, admin, buyer, races, "a cancel")
        assert "Server error" not in node.logs()
    finally:
        node.stop()


def released(node: Node, buyer: str, checkout_id: str, timeout: float = 15) -> float:
    """Polls the checkout until the expiry job has released it; returns (monotonic) when."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {buyer}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if session.get(f"{node.base}/v1/checkouts/{checkout_id}", timeout=10).json()["status"] == "expired":
            return time.monotonic()
        time.sleep(0.002)
    raise AssertionError(f"the expiry job never released {checkout_id}, whose hold ran out")


def after_an_expiry_run(node: Node, buyer: str, count: int) -> tuple[float, list[dict]]:
    """Waits for an expiry run (a probe checkout's release), then makes `count` checkouts one
    after another: their holds end before the next run, which releases them in this order.
    Returns when the probe was released, and the checkouts."""
    run = released(node, buyer, checkout(node, buyer)["id"])
    made = [checkout(node, buyer) for _ in range(count)]
    # Holds of 0.3 s: made within 0.6 s, they all end before the next run, a second later.
    assert time.monotonic() - run < 0.6, f"making {count} checkouts took {time.monotonic() - run:.2f} s; they would span two runs"
    return run, made


def test_a_payment_racing_the_expiry_job_is_never_ignored(engine_env):
    """Holds of 0.3 s; the expiry job runs about once a second and releases a run's checkouts
    one after another. A first batch of checkouts, left unpaid, shows when a run starts and how
    long each release takes; then, three times, a batch is made and each checkout's correctly
    signed payment is sent at the moment the job should be releasing that checkout. Every
    payment is taken (`paid` or `refund_needed`, never `ignored`), its order says the same, and
    the stock agrees."""
    count = 20
    node, admin, buyer = shop(engine_env, APUS_INVENTORY_RESERVATION_TTL="0.3", APUS_INVENTORY_EXPIRY_INTERVAL="1")
    try:
        # Calibration: when the next run releases the first and the last of the batch.
        run, made = after_an_expiry_run(node, buyer, count)
        first = released(node, buyer, made[0]["id"])
        last = released(node, buyer, made[-1]["id"])
        pace = (last - first) / (count - 1)
        assert 0 < pace < 0.1, f"one run did not release the batch: first {first - run:.3f} s, last {last - run:.3f} s after the previous run"
        start = first - pace - run
        races = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
            for phase in (0.5, 0.3, 0.7):
                run, made = after_an_expiry_run(node, buyer, count)
                payments = [signed_payment(bought) for bought in made]

                def pay(index: int, run=run, phase=phase, payments=payments):
                    # While the job should be releasing this checkout.
                    time.sleep(max(0.0, run + start + (index + phase) * pace - time.monotonic()))
                    return deliver(node, payments[index])

                answers = list(pool.map(pay, range(count)))
                races += [{"checkout": bought, "payment": answer, "other": "expiry"} for bought, answer in zip(made, answers)]
        settle_payments(node, admin, buyer, races, "the expiry job")
        assert "Server error" not in node.logs()
    finally:
        node.stop()


# MARK: 2. the cost of a nested JSON body

BODY_SIZE = 32 * 1024
# The variant's price does not fit an integer: decoding fails, and the server looks for the
# number at fault to name its field. `pad` sorts before `variants`, so that search goes through it.
PRODUCT = {"name": "x", "published": True, "variants": [{"sku": "NEST-1", "name": "x", "price": "PRICE", "currency": "EUR"}]}


def product_body(pad: str) -> bytes:
    """The product, with the out-of-range price and `pad` (JSON text) padded to BODY_SIZE bytes."""
    text = json.dumps({**PRODUCT, "pad": "PAD"}).replace('"PRICE"', "1e30").replace('"PAD"', pad)
    return text.encode()


def notification_body(pad: str) -> bytes:
    """A notification whose `data` is `pad` (JSON text): `data` is any JSON, decoded whole."""
    return ('{"recipient":"nobody","channel":"in_app","body":"hi","data":' + pad + "}").encode()


def flat_body(make=product_body) -> bytes:
    base = len(make("[]"))
    return make("[" + ",".join(["1"] * ((BODY_SIZE - base) // 2)) + "]")


def nested_body(depth: int, make=product_body) -> bytes:
    """Chains `[[...[1]...]]` of `depth` arrays side by side, filling BODY_SIZE like the flat body."""
    chain = "[" * depth + "1" + "]" * depth
    base = len(make("[]"))
    count = max(1, (BODY_SIZE - base) // (len(chain) + 1))
    return make("[" + ",".join([chain] * count) + "]")


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """The process's user + system CPU time (/proc/PID/stat fields 14 and 15); None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def costed_post(node: Node, token: str, body: bytes, path: str = "/v1/inventory/products") -> tuple[int, float, float]:
    """POSTs the body: (status, server CPU seconds or else wall seconds, wall seconds)."""
    cpu, wall = cpu_seconds(node.process.pid), time.perf_counter()
    try:
        response = requests.post(node.base + path, data=body, timeout=120,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    except requests.RequestException as error:
        raise AssertionError(f"no answer to a {len(body)}-byte body after {time.perf_counter() - wall:.1f} s ({error}); "
                             f"the server {'exited' if node.process.poll() is not None else 'is still at it'}") from None
    wall = time.perf_counter() - wall
    after = cpu_seconds(node.process.pid)
    return response.status_code, (after - cpu) if cpu is not None and after is not None else wall, wall


def assert_nested_costs_at_most_three_times_flat(node: Node, token: str, path: str, flat: bytes, nested: bytes) -> None:
    """Alternates the two bodies (up to five rounds, or 20 s) and bounds the ratio of medians."""
    assert abs(len(flat) - len(nested)) < 1100 and len(nested) <= BODY_SIZE, (len(flat), len(nested))
    costs: dict[str, list[tuple[float, float]]] = {"flat": [], "nested": []}
    began = time.monotonic()
    for _ in range(5):
        for name, body in (("flat", flat), ("nested", nested)):
            status, cpu, wall = costed_post(node, token, body, path)
            assert status in (400, 422), f"the {name} body to {path} was answered {status}; a body that does not decode is a 400 or 422"
            costs[name].append((cpu, wall))
        # A server that takes many seconds per body has shown it by now.
        if time.monotonic() - began > 20:
            break
    floor = 2 / CLK_TCK
    flat_cpu = max(floor, statistics.median(c for c, _ in costs["flat"]))
    nested_cpu = max(floor, statistics.median(c for c, _ in costs["nested"]))
    flat_wall = statistics.median(w for _, w in costs["flat"])
    nested_wall = statistics.median(w for _, w in costs["nested"])
    ratio = nested_cpu / flat_cpu
    assert ratio <= 3, (f"the nested body to {path} cost {ratio:.1f}x the flat one's CPU time (bound: ratio <= 3): "
                        f"nested {nested_cpu * 1000:.0f} ms CPU / {nested_wall * 1000:.0f} ms wall, "
                        f"flat {flat_cpu * 1000:.0f} ms CPU / {flat_wall * 1000:.0f} ms wall; all {costs}")


def test_a_nested_json_body_costs_about_what_a_flat_one_costs(engine_env):
    """Two 32 KB product bodies with an out-of-range price: one padded with a flat array of
    numbers, one with chains of 480 nested arrays. Both are refused with 400 or 422 (never 5xx),
    and the nested one costs the server at most 3 times the CPU time of the flat one (medians
    of alternating runs; CPU time below 20 ms, two clock ticks, counts as 20 ms). The same
    holds for a field that takes any JSON (a notification's `data`), nested 60 deep, within the
    limit, so it is decoded whole."""
    node = Node({**engine_env, **ADMIN}, [])
    try:
        admin = login(node.base, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert_nested_costs_at_most_three_times_flat(node, admin, "/v1/inventory/products", flat_body(), nested_body(480))
        assert_nested_costs_at_most_three_times_flat(
            node, admin, "/v1/notifications", flat_body(notification_body), nested_body(60, notification_body))
        assert "Server error" not in node.logs()
    finally:
        node.stop()


# MARK: 3. the uploads quota

QUOTA = MIB


def upload_url(base: str, response: requests.Response) -> str:
    return requests.compat.urljoin(base + "/v1/uploads", response.headers["Location"])


def create_upload(base: str, auth: dict, **headers: str) -> requests.Response:
    return requests.post(base + "/v1/uploads", headers={**TUS, **auth, **headers}, timeout=30)


def patch_upload(url: str, auth: dict, offset: int, data: bytes, **headers: str) -> requests.Response:
    return requests.patch(url, data=data, timeout=30, headers={
        **TUS, **auth, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset), **headers})


def head_upload(url: str, auth: dict) -> requests.Response:
    return requests.head(url, headers={**TUS, **auth}, timeout=10)


def quota_node(engine_env: dict) -> tuple[Node, dict]:
    node = Node({**engine_env, "APUS_UPLOADS_QUOTA": str(QUOTA)}, [])
    try:
        return node, {"Authorization": "Bearer " + sign_up(node.base)}
    except BaseException:
        node.stop()
        raise


def test_a_deferred_length_upload_stops_at_the_quota(engine_env):
    """Quota 1 MiB; an upload with `Upload-Defer-Length: 1` gets 256 KiB chunks at the right
    offsets. The four that fill the quota are taken (204); the fifth, which would pass it, is
    refused with 413, and the upload's offset never exceeds the quota."""
    node, auth = quota_node(engine_env)
    try:
        created = create_upload(node.base, auth, **{"Upload-Defer-Length": "1"})
        assert created.status_code == 201, created.text
        url = upload_url(node.base, created)
        statuses, offset = [], 0
        for _ in range(8):
            sent = patch_upload(url, auth, offset, os.urandom(256 * KIB))
            statuses.append(sent.status_code)
            if sent.status_code != 204:
                break
            offset = int(sent.headers["Upload-Offset"])
        held = int(head_upload(url, auth).headers["Upload-Offset"])
        assert statuses[:4] == [204] * 4, f"the chunks within the quota were not all taken: {statuses}"
        assert held <= QUOTA, f"the upload holds {held} bytes with a quota of {QUOTA}; PATCH answers were {statuses}"
        assert statuses[4:5] == [413], f"the chunk past the quota was not refused with 413: {statuses}"
    finally:
        node.stop()


def test_final_uploads_of_one_part_stay_within_the_quota(engine_env):
    """Quota 1 MiB. A partial upload with a deferred length, unfinished; five final uploads of
    it; then the part is finished at 400 KiB, which makes each final 400 KiB. The part and the
    completed finals together stay within the quota, so at most one final is completed; each
    other one ends 404 or 410 (or was refused when made)."""
    node, auth = quota_node(engine_env)
    try:
        created = create_upload(node.base, auth, **{"Upload-Defer-Length": "1", "Upload-Concat": "partial"})
        assert created.status_code == 201, created.text
        part = upload_url(node.base, created)
        finals = []
        for _ in range(5):
            final = create_upload(node.base, auth, **{"Upload-Concat": "final;" + part})
            assert final.status_code in (201, 413), (final.status_code, final.text)
            if final.status_code == 201:
                finals.append(upload_url(node.base, final))
        size = 400 * KIB
        finished = patch_upload(part, auth, 0, os.urandom(size), **{"Upload-Length": str(size)})
        assert finished.status_code in (204, 413), (finished.status_code, finished.text)

        def states() -> dict[str, str]:
            seen = {}
            for url in finals:
                answer = head_upload(url, auth)
                if answer.status_code in (404, 410):
                    seen[url] = "gone"
                elif answer.status_code == 200 and "Upload-Offset" in answer.headers and answer.headers["Upload-Offset"] == answer.headers.get("Upload-Length"):
                    seen[url] = "complete"
                else:
                    seen[url] = f"waiting {answer.status_code}"
            return seen

        deadline = time.monotonic() + 20
        seen = states()
        while any(state.startswith("waiting") for state in seen.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = states()
        part_head = head_upload(part, auth)
        part_bytes = int(part_head.headers["Upload-Offset"]) if part_head.status_code == 200 else 0
        completed = [url for url, state in seen.items() if state == "complete"]
        kept = part_bytes + len(completed) * size
        assert kept <= QUOTA, (f"the user holds {kept} bytes (the part's {part_bytes} and {len(completed)} completed finals of {size}) "
                               f"with a quota of {QUOTA}: {sorted(seen.values())}")
        assert len(completed) <= 1, sorted(seen.values())
        assert all(state in ("complete", "gone") for state in seen.values()), f"finals never settled: {sorted(seen.values())}"
    finally:
        node.stop()


def test_uploads_created_at_once_stay_within_the_quota(engine_env):
    """Quota 1 MiB; 30 requests at the same moment each create an upload of 400 KiB. At most
    two fit, so at most two are created (201); the others get 413, and none a 5xx."""
    node, auth = quota_node(engine_env)
    try:
        start = threading.Barrier(30)

        def create(_):
            start.wait()
            return create_upload(node.base, auth, **{"Upload-Length": str(400 * KIB)}).status_code

        with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
            statuses = list(pool.map(create, range(30)))
        assert set(statuses) <= {201, 413}, statuses
        assert 1 <= statuses.count(201) <= 2, f"{statuses.count(201)} uploads of 400 KiB were created with a quota of 1 MiB: {sorted(statuses)}"
    finally:
        node.stop()


# MARK: 4. SIGTERM while a PATCH streams


def test_bytes_streamed_before_sigterm_are_kept(engine_env):
    """APUS_SHUTDOWN_GRACE=1. A PATCH of an upload of 1 MiB sends 256 KiB, then trickles 1 KiB
    every 100 ms; the node gets SIGTERM meanwhile and exits 0 within seconds, without answering
    the PATCH with a 500. A new node on the same storage says (HEAD) that bytes were kept, as
    they are when a client disconnects: the offset is above 0, and they are the client's bytes."""
    env = {**engine_env, "APUS_SHUTDOWN_GRACE": "1"}
    node = Node(env, [])
    source = os.urandom(MIB)
    sent = 0
    answer = b""
    try:
        auth = {"Authorization": "Bearer " + sign_up(node.base)}
        created = create_upload(node.base, auth, **{"Upload-Length": str(MIB)})
        assert created.status_code == 201, created.text
        url = upload_url(node.base, created)
        path = url[len(node.base):]
        with socket.create_connection(("127.0.0.1", node.port), timeout=10) as sock:
            sock.sendall((f"PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1:{node.port}\r\nTus-Resumable: 1.0.0\r\n"
                          f"Authorization: {auth['Authorization']}\r\nContent-Type: application/offset+octet-stream\r\n"
                          f"Upload-Offset: 0\r\nContent-Length: {MIB}\r\n\r\n").encode())
            for _ in range(4):
                sock.sendall(source[sent:sent + 64 * KIB])
                sent += 64 * KIB
                time.sleep(0.05)
            # The local store writes in batches of 1 MiB, so the file does not show these bytes
            # yet; a moment on loopback is enough for the server to have read them.
            time.sleep(0.5)
            node.process.send_signal(signal.SIGTERM)
            # The client goes on trickling until the server answers or closes the connection.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and sent < MIB:
                readable, _, _ = select.select([sock], [], [], 0.1)
                if readable:
                    break
                try:
                    sock.sendall(source[sent:sent + KIB])
                except OSError:
                    break
                sent += KIB
            try:
                sock.settimeout(5)
                while chunk := sock.recv(65536):
                    answer += chunk
            except OSError:
                pass
        try:
            code = node.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            node.process.kill()
            raise AssertionError(f"the node did not exit within 15 s of SIGTERM:\n{node.logs()[-3000:]}") from None
    finally:
        node.stop()
    status = answer.split(b"\r\n", 1)[0].decode("latin-1")

    restarted = Node(env, [])
    try:
        url = restarted.base + path
        kept = head_upload(url, auth)
        assert kept.status_code == 200, (kept.status_code, kept.text)
        offset = int(kept.headers["Upload-Offset"])
        assert 0 < offset <= sent, (f"after the shutdown the upload's offset is {offset}; {sent} bytes were sent "
                                    f"and the PATCH was answered {status!r}")
        with open(os.path.join(env["APUS_DATA_DIR"], "objects", ".appending", "uploads", url.rsplit("/", 1)[1]), "rb") as stored:
            assert stored.read(offset) == source[:offset], "the kept bytes are not the client's"
    finally:
        restarted.stop()
    assert " 500 " not in status + " ", f"the PATCH cut off by the shutdown was answered {answer[:400]!r}"
    assert code == 0, f"the node exited with {code} after SIGTERM"
