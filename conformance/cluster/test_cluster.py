"""A whole cluster (scripts/cluster.sh: PostgreSQL with a streaming replica, moto's S3, three
full nodes, a links-only node, HAProxy) driven from outside, as clients and an operator see it.

The tests that break something (a killed node, a rolling restart, the replica stopped) come last
and put the cluster back as they found it."""

import asyncio
import collections
import hashlib
import json
import os
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from tusclient import client as tus_client
from websockets.asyncio.client import connect

from conftest import ALL_NODES, FULL_NODES, Load, poll, wal

TUS = {"Tus-Resumable": "1.0.0"}


def location(base: str, code: str) -> str | None:
    """Where GET /{code} on `base` redirects (None when it does not)."""
    response = requests.get(f"{base}/{code}", allow_redirects=False, timeout=10)
    return response.headers.get("location") if response.status_code in (301, 302) else None


def create_link(base: str, user: dict, url: str, **headers) -> requests.Response:
    return requests.post(base + "/v1/links", json={"url": url}, headers={**user["auth"], **headers}, timeout=30)


# --- 1. caches ------------------------------------------------------------------------------

def test_a_link_changed_on_one_node_redirects_to_the_new_target_on_every_other_node_at_once(cluster, new_user):
    owner = new_user()
    node1 = cluster.nodes["node1"]
    others = [name for name in ALL_NODES if name != "node1"]
    created = create_link(node1, owner, "https://example.com/before")
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    # Every other node has the old target in its cache.
    for name in others:
        for _ in range(3):
            assert location(cluster.nodes[name], code) == "https://example.com/before", name

    changed = requests.patch(f"{node1}/v1/links/{code}", json={"url": "https://example.com/after"}, headers=owner["auth"], timeout=30)
    assert changed.status_code == 200, changed.text
    deadline = time.monotonic() + 2
    for name in others:
        assert poll(lambda: location(cluster.nodes[name], code) == "https://example.com/after", deadline - time.monotonic()), \
            f"{name} still redirects to {location(cluster.nodes[name], code)} 2 s after the change"

    # Deleted on node 1: gone everywhere as quickly.
    assert requests.delete(f"{node1}/v1/links/{code}", headers=owner["auth"], timeout=30).status_code == 204
    deadline = time.monotonic() + 2
    for name in others:
        assert poll(lambda: requests.get(f"{cluster.nodes[name]}/{code}", allow_redirects=False, timeout=10).status_code == 404,
                    deadline - time.monotonic()), f"{name} still redirects 2 s after the link was deleted"


# --- 2. sessions ----------------------------------------------------------------------------

def test_a_session_logged_out_on_node2_is_refused_on_node3(cluster, new_user):
    from conftest import log_in

    user = new_user(cluster.nodes["node1"])
    other_session = log_in(cluster.nodes["node1"], user["email"])
    node2, node3 = cluster.nodes["node2"], cluster.nodes["node3"]

    def me(base, who):
        return requests.get(base + "/v1/auth/me", headers=who["auth"], timeout=10).status_code

    # Every node has seen the session live (and remembers it so).
    for name in FULL_NODES:
        assert me(cluster.nodes[name], user) == 200, name
    assert requests.post(node2 + "/v1/auth/logout", headers=user["auth"], timeout=10).status_code == 204
    assert poll(lambda: me(node3, user) == 401, 2), "node 3 still takes the token 2 s after the logout on node 2"
    assert me(cluster.nodes["node1"], user) == 401
    assert requests.post(node3 + "/v1/auth/refresh", json={"refresh_token": user["refresh_token"]}, timeout=10).status_code == 401
    # Only that session ended.
    assert me(node3, other_session) == 200


# --- 3. jobs --------------------------------------------------------------------------------

class Receiver:
    """Webhook receiver on loopback: keeps every request; each answer takes a little while, so
    that the nodes' job workers overlap."""

    def __init__(self):
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                time.sleep(0.05)
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body})
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def received(self, path: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


def test_jobs_enqueued_on_every_node_run_exactly_once(cluster, admin, new_user):
    receiver = Receiver()
    endpoints = []

    def add_endpoint(path, event_type):
        created = requests.post(cluster.url + "/v1/webhooks/endpoints", headers=admin["auth"], timeout=30,
                                json={"url": receiver.url(path), "event_types": [event_type]})
        assert created.status_code == 201, created.text
        endpoints.append(created.json()["id"])
        return created.json()["id"]

    try:
        endpoint = add_endpoint("/jobs", "inventory.stock.low")
        completed_before = cluster.total("apus_jobs_attempts_total", kind="notifications.deliver", outcome="completed")

        # 30 notifications (each a delivery job), enqueued ten on each full node.
        ids = []
        for number in range(30):
            base = cluster.nodes[FULL_NODES[number % 3]]
            sent = requests.post(base + "/v1/notifications", headers=admin["auth"], timeout=30, json={
                "recipient": endpoint, "channel": "webhook", "body": f"job {number}", "data": {"number": number}})
            assert sent.status_code == 202, sent.text
            ids.append(sent.json()["id"])
        assert poll(lambda: {r["headers"]["webhook-id"] for r in receiver.received("/jobs")} >= set(ids), 60, 0.2), \
            f"{len(receiver.received('/jobs'))} of 30 deliveries arrived"
        time.sleep(2)  # room for a second run of any of them
        deliveries = collections.Counter(r["headers"]["webhook-id"] for r in receiver.received("/jobs"))
        assert deliveries == collections.Counter(ids), {i: n for i, n in deliveries.items() if n != 1}
        for notification in ids:
            detail = requests.get(f"{cluster.url}/v1/notifications/{notification}", headers=admin["auth"], timeout=30).json()
            assert detail["status"] == "delivered" and [a["outcome"] for a in detail["attempts"]] == ["delivered"], detail
        completed = cluster.total("apus_jobs_attempts_total", kind="notifications.deliver", outcome="completed") - completed_before
        assert completed == 30, f"the nodes report {completed} completed delivery jobs for 30"

        # Events written on any node (the links-only one included) reach an endpoint once each.
        add_endpoint("/events", "links.link.created")
        owner = new_user()
        codes = []
        for number in range(12):
            created = create_link(cluster.nodes[ALL_NODES[number % 4]], owner, f"https://example.com/evented/{number}")
            assert created.status_code == 201, created.text
            codes.append(created.json()["code"])

        def ours():
            bodies = [json.loads(r["body"]) for r in receiver.received("/events")]
            return [b["data"]["code"] for b in bodies if b["type"] == "links.link.created" and b["data"]["code"] in codes]
        assert poll(lambda: set(ours()) == set(codes), 60, 0.2), f"{len(set(ours()))} of 12 events arrived"
        time.sleep(2)
        assert collections.Counter(ours()) == collections.Counter(codes)
    finally:
        # An endpoint left behind would take every later test's links to a receiver that is gone
        # (one whose creation got no answer may exist all the same).
        mine = receiver.url("/")
        listed = requests.get(cluster.url + "/v1/webhooks/endpoints?limit=100", headers=admin["auth"], timeout=30)
        if listed.status_code == 200:
            endpoints += [e["id"] for e in listed.json()["items"] if e["url"].startswith(mine) and e["id"] not in endpoints]
        for endpoint_id in endpoints:
            requests.delete(f"{cluster.url}/v1/webhooks/endpoints/{endpoint_id}", headers=admin["auth"], timeout=30)
        receiver.server.shutdown()


# --- 4. chat --------------------------------------------------------------------------------

def test_a_chat_message_sent_on_node1_reaches_a_socket_on_node2(cluster, new_user):
    ada, bob = new_user(), new_user()
    room = requests.post(cluster.url + "/v1/chat/rooms", json={"kind": "public", "name": "cluster"}, headers=ada["auth"], timeout=30)
    assert room.status_code == 201, room.text
    room_id = room.json()["id"]
    assert requests.post(f"{cluster.url}/v1/chat/rooms/{room_id}/members", json={}, headers=bob["auth"], timeout=30).status_code == 200

    def socket_url(base: str) -> str:
        return base.replace("http://", "ws://") + "/v1/chat/socket"

    async def frames_until(ws, done, timeout: float = 15) -> list:
        got = []
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            got.append(frame)
            if done(frame):
                return got

    async def signed_socket(base: str, who: dict):
        ws = await connect(socket_url(base))
        await ws.send(json.dumps({"type": "auth", "token": who["token"], "ref": "auth"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 15)) == {"type": "ack", "ref": "auth", "user_id": who["id"]}
        await ws.send(json.dumps({"type": "subscribe", "room": room_id, "ref": "sub"}))
        await frames_until(ws, lambda f: f.get("type") == "ack" and f.get("ref") == "sub")
        return ws

    def message(text):
        return lambda f: f.get("type") == "message" and f["message"]["text"] == text

    async def scenario():
        on_node1 = await signed_socket(cluster.nodes["node1"], ada)
        on_node2 = await signed_socket(cluster.nodes["node2"], bob)
        through_balancer = await signed_socket(cluster.url, bob)
        await on_node1.send(json.dumps({"type": "send", "room": room_id, "text": "from node 1", "client_id": "c-1", "ref": 1}))
        sent = (await frames_until(on_node1, lambda f: f.get("type") == "ack" and f.get("ref") == 1))[-1]["message"]
        received = (await frames_until(on_node2, message("from node 1")))[-1]["message"]
        assert received["id"] == sent["id"] and received["sender_id"] == ada["id"] and received["seq"] == sent["seq"]
        await frames_until(through_balancer, message("from node 1"))
        # And back the other way.
        await on_node2.send(json.dumps({"type": "send", "room": room_id, "text": "from node 2", "ref": 2}))
        await frames_until(on_node1, message("from node 2"))
        for ws in (on_node1, on_node2, through_balancer):
            await ws.close()

    asyncio.run(scenario())


# --- 5. uploads -----------------------------------------------------------------------------

def test_a_tus_upload_started_on_node1_resumes_on_node2(cluster, new_user, tmp_path):
    owner = new_user()
    source = tmp_path / "file.bin"
    source.write_bytes(os.urandom(3 * 8 * 1024 * 1024 - 1234))
    size = source.stat().st_size
    first_part = 5 * 1024 * 1024 + 17  # leaves a tail that does not fill an S3 part
    received = {name: cluster.metric(name, "apus_uploads_bytes_received_total") for name in FULL_NODES}

    started = tus_client.TusClient(cluster.nodes["node1"] + "/v1/uploads", headers=owner["auth"]).uploader(
        str(source), chunk_size=first_part, metadata={"filename": "file.bin", "filetype": "application/octet-stream"})
    upload_id = started.create_url().rstrip("/").rsplit("/", 1)[1]
    started.set_url(f"{cluster.nodes['node1']}/v1/uploads/{upload_id}")
    started.upload_chunk()
    assert started.offset == first_part

    # Another client, on node 2, asks where to go on and sends the rest.
    resumed = tus_client.TusClient(cluster.nodes["node2"] + "/v1/uploads", headers=owner["auth"]).uploader(
        str(source), url=f"{cluster.nodes['node2']}/v1/uploads/{upload_id}", chunk_size=8 * 1024 * 1024, upload_checksum=True)
    assert resumed.offset == first_part
    resumed.upload()
    finished = requests.head(f"{cluster.nodes['node3']}/v1/uploads/{upload_id}", headers={**TUS, **owner["auth"]}, timeout=30)
    assert finished.headers["Upload-Offset"] == str(size)

    grew = {name: cluster.metric(name, "apus_uploads_bytes_received_total") - received[name] for name in FULL_NODES}
    assert grew["node1"] == first_part and grew["node2"] >= size - first_part and grew["node3"] == 0, grew

    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    with requests.get(f"{cluster.url}/v1/files/{upload_id}", headers=owner["auth"], stream=True, timeout=60) as download:
        assert download.status_code == 200, download.text
        for block in download.iter_content(1 << 20):
            digest.update(block)
        assert expected in download.headers["ETag"]
    assert digest.hexdigest() == expected


# --- 6. read-your-writes --------------------------------------------------------------------

def test_read_your_writes_through_the_balancer(cluster, new_user):
    owner = new_user()
    session = requests.Session()
    created = session.post(cluster.url + "/v1/links", json={"url": "https://example.com/ryw/start"}, headers=owner["auth"], timeout=30)
    assert created.status_code == 201, created.text
    link = f"{cluster.url}/v1/links/{created.json()['code']}"

    def write(url):
        response = session.patch(link, json={"url": url}, headers=owner["auth"], timeout=30)
        assert response.status_code == 200, response.text
        return response.headers["Apus-Consistency"]

    def read(position=None):
        headers = {**owner["auth"], **({"Apus-Consistency": position} if position else {})}
        response = session.get(link, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["url"]

    # The replica applies each commit a quarter of a second late (a delayed standby), so a read
    # that went to it too early would see the previous target.
    cluster.replica_sql("ALTER SYSTEM SET recovery_min_apply_delay = '250ms'", "SELECT pg_reload_conf()")
    try:
        replica_reads = cluster.total("apus_database_reads_total", target="replica")
        for number in range(200):
            url = f"https://example.com/ryw/{number}"
            position = write(url)
            assert read(position) == url, f"iteration {number}: a read sent back {position} did not see the write"
        in_loop = cluster.total("apus_database_reads_total", target="replica") - replica_reads

        # The same reads without the position do go to the replica, and see the past: the
        # replica lags, so the loop above could have failed.
        stale = 0
        for number in range(10):
            url = f"https://example.com/ryw/unsent/{number}"
            write(url)
            stale += read() != url
        assert stale > 0, "reads without Apus-Consistency never saw an older target: the replica did not lag"

        # Once the replica has replayed past the position, reads sent with it are its to answer.
        url = "https://example.com/ryw/last"
        position = write(url)
        before = cluster.total("apus_database_reads_total", target="replica")

        def replica_answered():
            assert read(position) == url
            return cluster.total("apus_database_reads_total", target="replica") > before
        assert poll(replica_answered, 15, 0.2), "no read sent with Apus-Consistency ever went to the replica"
        print(f"read-your-writes: {in_loop:.0f} of 200 reads in the loop went to the replica, {stale}/10 unsent reads were stale")
    finally:
        cluster.replica_sql("ALTER SYSTEM RESET recovery_min_apply_delay", "SELECT pg_reload_conf()")


# --- 7-9. failures --------------------------------------------------------------------------

def test_a_node_killed_under_write_load_loses_no_acknowledged_write(cluster, new_user):
    writer = new_user()
    acknowledged = {}
    positions = []
    lock = threading.Lock()

    def write(session, number):
        url = f"https://example.com/kill/{number}/{uuid.uuid4().hex[:6]}"
        response = session.post(cluster.url + "/v1/links", json={"url": url}, headers=writer["auth"], timeout=30)
        if response.status_code != 201:
            return False, (response.status_code, response.text[:200])
        with lock:
            acknowledged[response.json()["code"]] = url
            positions.append(response.headers["Apus-Consistency"])
        return True, None

    victim = "node2"
    pid = cluster.pid(victim)
    with Load(write, threads=3) as load:
        load.wait_for(30)
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        assert poll(lambda: "api DOWN" in cluster.component(victim)["detail"], 15, 0.2), cluster.component(victim)
        marked_down = time.monotonic() - killed
        settled = killed + 6
        assert poll(lambda: sum(1 for o in list(load.outcomes) if o[0] > settled and o[2]) >= 30, 60, 0.2)
    failures = load.failures()
    late = [f for f in failures if f[0] > settled]
    assert not late, f"requests still failed more than 6 s after {victim} was killed: {late[:5]}"
    print(f"kill -9 {victim}: marked DOWN after {marked_down:.1f} s; {load.count(True)} writes acknowledged, "
          f"{len(failures)} failed around the kill: {[f[3] for f in failures][:5]}; slowest {load.slowest():.1f} s")

    # Every acknowledged write is there, read with the latest position any of them returned.
    latest = max(positions, key=wal)
    listed = {}
    cursor = None
    while True:
        page = requests.get(cluster.url + "/v1/links", params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                            headers={**writer["auth"], "Apus-Consistency": latest}, timeout=30)
        assert page.status_code == 200, page.text
        listed.update({item["code"]: item["url"] for item in page.json()["items"]})
        cursor = page.json().get("next_cursor")
        if not cursor:
            break
    missing = {code: url for code, url in acknowledged.items() if listed.get(code) != url}
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged links are gone: {list(missing.items())[:5]}"

    cluster.up()
    assert cluster.pid(victim) != pid
    assert "api UP" in cluster.component(victim)["detail"]


def test_a_rolling_restart_under_load_fails_no_request(cluster, new_user):
    owner = new_user()
    target = "https://example.com/rolling"
    created = create_link(cluster.url, owner, target)
    assert created.status_code == 201, created.text
    code = created.json()["code"]

    def step(session, number):
        kind = number % 3
        if kind == 0:
            response = session.get(f"{cluster.url}/{code}", allow_redirects=False, timeout=60)
            ok = response.status_code == 302 and response.headers.get("location") == target
        elif kind == 1:
            response = session.get(f"{cluster.url}/v1/links/{code}", headers=owner["auth"], timeout=60)
            ok = response.status_code == 200 and response.json()["url"] == target
        else:
            response = session.post(cluster.url + "/v1/links", json={"url": f"{target}/{number}"}, timeout=60,
                                    headers={**owner["auth"], "Idempotency-Key": uuid.uuid4().hex})
            ok = response.status_code == 201
        return ok, None if ok else ("GET /{code}", "GET /v1/links/{code}", "POST /v1/links")[kind] + \
            f" {response.status_code} {response.text[:200]}"

    pids = {name: cluster.pid(name) for name in ALL_NODES}
    with Load(step, threads=3) as load:
        load.wait_for(30)
        began, before = time.monotonic(), load.count()
        restarted = cluster.script("rolling-restart", timeout=400)
        took, during = time.monotonic() - began, load.count() - before
        time.sleep(1)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert all(cluster.pid(name) != pids[name] for name in ALL_NODES), "not every node was restarted"
    assert during >= 50, f"only {during} requests while the nodes restarted"
    failures = load.failures()
    assert not failures, f"{len(failures)} of {load.count()} requests failed: {[f[3] for f in failures][:5]}"
    print(f"rolling restart: {took:.0f} s, {during} requests meanwhile, none failed; slowest {load.slowest():.1f} s")
    print("\n".join(line for line in restarted.stderr.splitlines() if "rotation" in line))
    assert cluster.whole()


def test_reads_go_on_while_the_replica_is_stopped_and_return_to_it_after(cluster, new_user):
    owner = new_user()
    target = "https://example.com/replica"
    created = create_link(cluster.url, owner, target)
    assert created.status_code == 201, created.text
    code = created.json()["code"]

    def step(session, number):
        if number % 2:
            response = session.get(f"{cluster.url}/v1/links/{code}", headers=owner["auth"], timeout=60)
            ok = response.status_code == 200 and response.json()["url"] == target
        else:
            response = session.get(cluster.url + "/v1/links?limit=5", headers=owner["auth"], timeout=60)
            ok = response.status_code == 200 and code in [item["code"] for item in response.json()["items"]]
        return ok, None if ok else f"{response.request.path_url} {response.status_code} {response.text[:200]}"

    def replica_up(value: float) -> bool:
        return all(cluster.metric(name, "apus_database_replica_up", replica=cluster.replica) == value for name in ALL_NODES)

    data = str(cluster.state / "pg" / "replica")
    with Load(step, threads=2) as load:
        # Wait for this link to have reached the replica (and be read there) first.
        replica_reads = cluster.total("apus_database_reads_total", target="replica")
        load.wait_for(10)
        assert poll(lambda: cluster.total("apus_database_reads_total", target="replica") > replica_reads, 15, 0.2)

        stopped = cluster.as_postgres(cluster.pg_bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop")
        assert stopped.returncode == 0, stopped.stderr
        stopped_at = time.monotonic()
        assert poll(lambda: replica_up(0), 20, 0.2), {n: cluster.metric(n, "apus_database_replica_up") for n in ALL_NODES}
        out_after = time.monotonic() - stopped_at
        # Down: the primary answers every read.
        primary_reads, made = cluster.total("apus_database_reads_total", target="primary"), load.count(True)
        load.wait_for(made + 20)
        assert cluster.total("apus_database_reads_total", target="primary") >= primary_reads + 20
        assert not load.failures(), load.failures()[:5]

        port = cluster.settings["REPLICA_PORT"]
        started = cluster.as_postgres(cluster.pg_bin("pg_ctl"), "-D", data, "-o", f"-p {port}",
                                      "-l", str(cluster.log("pg-replica")), "-w", "-t", "60", "start")
        assert started.returncode == 0, started.stderr
        started_at = time.monotonic()
        assert poll(lambda: replica_up(1), 30, 0.2), {n: cluster.metric(n, "apus_database_replica_up") for n in ALL_NODES}
        back_after = time.monotonic() - started_at
        replica_reads = cluster.total("apus_database_reads_total", target="replica")
        assert poll(lambda: cluster.total("apus_database_reads_total", target="replica") > replica_reads, 15, 0.2), \
            "no read went to the replica after it came back"
    failures = load.failures()
    assert not failures, f"{len(failures)} of {load.count()} reads failed: {[f[3] for f in failures][:5]}"
    print(f"replica: out on every node {out_after:.1f} s after it stopped, back {back_after:.1f} s after it started; "
          f"{load.count()} reads, none failed; slowest {load.slowest():.1f} s")
    assert poll(lambda: cluster.component("pg-replica")["up"], 30, 0.5), cluster.component("pg-replica")
