"""Chat against running nodes with a real WebSocket client (`websockets`): exchange, history,
recovery after a reconnect, removal, limits, shutdown, and two nodes on one PostgreSQL."""

import asyncio
import json
import socket
import time
import uuid

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conftest import Node, postgres_env


def user(base: str) -> dict:
    email = f"chat-{uuid.uuid4().hex[:8]}@example.com"
    assert requests.post(base + "/v1/auth/register", json={"email": email, "password": "correct horse"}, timeout=10).status_code == 201
    token = requests.post(base + "/v1/auth/login", json={"email": email, "password": "correct horse"}, timeout=10).json()["access_token"]
    me = requests.get(base + "/v1/auth/me", headers={"Authorization": "Bearer " + token}, timeout=10).json()
    return {"token": token, "id": me["id"], "auth": {"Authorization": "Bearer " + token}}


def room(base: str, owner: dict, kind: str = "public") -> str:
    response = requests.post(base + "/v1/chat/rooms", json={"kind": kind, "name": "general"}, headers=owner["auth"], timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def join(base: str, room_id: str, member: dict) -> None:
    assert requests.post(base + f"/v1/chat/rooms/{room_id}/members", json={}, headers=member["auth"], timeout=10).status_code == 200


def ws_url(node: Node) -> str:
    return f"ws://127.0.0.1:{node.port}/v1/chat/socket"


async def frames_until(ws, done, timeout: float = 10) -> list:
    got = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        got.append(frame)
        if done(frame):
            return got


def is_ack(ref):
    return lambda frame: frame.get("type") == "ack" and frame.get("ref") == ref


def seqs(frames: list) -> list:
    return [frame["message"]["seq"] for frame in frames if frame.get("type") == "message"]


async def signed_socket(node: Node, who: dict):
    ws = await connect(ws_url(node))
    await ws.send(json.dumps({"type": "auth", "token": who["token"], "ref": "auth"}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert ack == {"type": "ack", "ref": "auth", "user_id": who["id"]}
    return ws


def test_exchange_late_joiner_and_recovery(node):
    ada, bob, cy = user(node.base), user(node.base), user(node.base)
    general = room(node.base, ada)
    join(node.base, general, bob)

    async def scenario():
        async with connect(ws_url(node), subprotocols=["apus", "bearer." + ada["token"]]) as ada_ws:
            assert ada_ws.subprotocol == "apus"
            bob_ws = await signed_socket(node, bob)
            for ws in (ada_ws, bob_ws):
                await ws.send(json.dumps({"type": "subscribe", "room": general, "ref": 1}))
                await frames_until(ws, is_ack(1))
            await ada_ws.send(json.dumps({"type": "send", "room": general, "text": "hi bob", "client_id": "a-1", "ref": 2}))
            received = await frames_until(bob_ws, lambda f: f.get("type") == "message")
            assert received[-1]["message"]["text"] == "hi bob"
            await bob_ws.send(json.dumps({"type": "send", "room": general, "text": "hi ada", "ref": 3}))
            assert (await frames_until(ada_ws, lambda f: f.get("type") == "message" and f["message"]["text"] == "hi ada"))
            last_seq = 2
            await bob_ws.close()

            # Bob is away; Ada sends 50 (through the API: a socket is held to APUS_CHAT_SEND_RATE).
            for index in range(50):
                sent = requests.post(node.base + f"/v1/chat/rooms/{general}/messages", json={"text": f"missed {index}"}, headers=ada["auth"], timeout=10)
                assert sent.status_code == 201

            # Bob comes back with his last number: exactly the 50, in order, then the ack, then live ones.
            async with connect(ws_url(node), subprotocols=["apus", "bearer." + bob["token"]]) as back:
                await back.send(json.dumps({"type": "subscribe", "room": general, "last_seq": last_seq, "ref": "again"}))
                recovered = await frames_until(back, is_ack("again"))
                assert seqs(recovered) == list(range(3, 53))
                assert [f["message"]["text"] for f in recovered[:-1]] == [f"missed {i}" for i in range(50)]
                assert recovered[-1]["recovered"] is True and recovered[-1]["seq"] == 52
                await ada_ws.send(json.dumps({"type": "send", "room": general, "text": "live", "ref": 200}))
                live = await frames_until(back, lambda f: f.get("type") == "message")
                assert seqs(live) == [53]

        # A third user joins late and pages history, oldest first, with a cursor to older pages.
        join(node.base, general, cy)
        page = requests.get(node.base + f"/v1/chat/rooms/{general}/messages?limit=20", headers=cy["auth"], timeout=10).json()
        assert [m["seq"] for m in page["items"]] == list(range(34, 54)) and page["next_cursor"] == "34"
        older = requests.get(node.base + f"/v1/chat/rooms/{general}/messages?limit=20&before=34", headers=cy["auth"], timeout=10).json()
        assert [m["seq"] for m in older["items"]] == list(range(14, 34))

    asyncio.run(scenario())


def test_updates_arrive_and_a_removed_member_stops_receiving(node):
    ada, bob = user(node.base), user(node.base)
    general = room(node.base, ada, kind="private")
    assert requests.post(node.base + f"/v1/chat/rooms/{general}/members", json={"user": bob["id"]}, headers=ada["auth"], timeout=10).status_code == 200

    async def scenario():
        ada_ws, bob_ws = await signed_socket(node, ada), await signed_socket(node, bob)
        for ws in (ada_ws, bob_ws):
            await ws.send(json.dumps({"type": "subscribe", "room": general, "ref": 1}))
            await frames_until(ws, is_ack(1))
        await ada_ws.send(json.dumps({"type": "send", "room": general, "text": "draft", "ref": 2}))
        message = (await frames_until(ada_ws, is_ack(2)))[-1]["message"]
        for ref, frame in enumerate([
            {"type": "edit", "room": general, "id": message["id"], "text": "final"},
            {"type": "react", "room": general, "id": message["id"], "emoji": "🎉"},
            {"type": "read", "room": general, "seq": 1},
            {"type": "typing", "room": general},
            {"type": "delete", "room": general, "id": message["id"]},
        ], start=10):
            await ada_ws.send(json.dumps({**frame, "ref": ref}))
        got = [f for f in await frames_until(bob_ws, lambda f: f.get("type") == "deleted") if f["type"] != "presence"]
        assert [f["type"] for f in got] == ["message", "edited", "reaction", "receipt", "typing", "deleted"]
        assert got[1]["message"]["text"] == "final" and got[2]["emoji"] == "🎉"

        # Removed: the room goes from Bob's socket at once; nothing more arrives.
        assert requests.delete(node.base + f"/v1/chat/rooms/{general}/members/{bob['id']}", headers=ada["auth"], timeout=10).status_code == 204
        gone = await frames_until(bob_ws, lambda f: f.get("type") == "unsubscribed")
        assert gone[-1] == {"type": "unsubscribed", "room": general, "reason": "removed"}
        await ada_ws.send(json.dumps({"type": "send", "room": general, "text": "secret", "ref": 30}))
        await frames_until(ada_ws, is_ack(30))
        await bob_ws.send(json.dumps({"type": "ping", "ref": "p"}))
        assert await frames_until(bob_ws, lambda f: f.get("type") == "pong") == [{"type": "pong", "ref": "p"}]
        await ada_ws.close()
        await bob_ws.close()

    asyncio.run(scenario())


@pytest.fixture
def strict_node(engine_env):
    started = Node({**engine_env, "APUS_SOCKET_AUTH_TIMEOUT": "0.5", "APUS_SOCKET_MAX_MESSAGE_BYTES": "4096",
                    "APUS_SOCKET_QUEUE": "16", "APUS_CHAT_SEND_RATE": "100000"}, [])
    yield started
    started.stop()


def close_code(coroutine) -> int:
    async def run():
        try:
            await coroutine()
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1
        return 0
    return asyncio.run(run())


def test_authentication_and_size_limits(strict_node):
    ada = user(strict_node.base)

    async def silent():
        async with connect(ws_url(strict_node)) as ws:
            await asyncio.wait_for(ws.recv(), 5)
    assert close_code(silent) == 4401

    async def bad_protocol_token():
        async with connect(ws_url(strict_node), subprotocols=["apus", "bearer.nonsense"]) as ws:
            await asyncio.wait_for(ws.recv(), 5)
    assert close_code(bad_protocol_token) == 4401

    async def oversized():
        async with connect(ws_url(strict_node), subprotocols=["apus", "bearer." + ada["token"]], max_size=None) as ws:
            await ws.send("x" * 10_000)
            await asyncio.wait_for(ws.recv(), 5)
    assert close_code(oversized) == 1009

    plain = requests.get(strict_node.base + "/v1/chat/socket", headers=ada["auth"], timeout=10)
    assert plain.status_code == 426 and plain.headers["Content-Type"] == "application/problem+json"


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_a_client_that_never_reads_is_cut_off_and_memory_stays_bounded(strict_node):
    ada, bob = user(strict_node.base), user(strict_node.base)
    general = room(strict_node.base, ada)
    join(strict_node.base, general, bob)

    # Bob's client: a raw socket with a tiny receive buffer that subscribes and never reads again.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", strict_node.port))
    raw.sendall((f"GET /v1/chat/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                 f"Sec-WebSocket-Protocol: apus, bearer.{bob['token']}\r\n\r\n").encode())
    assert b"101" in raw.recv(4096).split(b"\r\n")[0]
    payload = json.dumps({"type": "subscribe", "room": general}).encode()
    mask = b"\x01\x02\x03\x04"
    raw.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    time.sleep(0.5)
    before = rss_kib(strict_node.process.pid)

    async def flood():
        async with connect(ws_url(strict_node), subprotocols=["apus", "bearer." + ada["token"]]) as ws:
            text = "y" * 3500
            for index in range(3000):
                await ws.send(json.dumps({"type": "send", "room": general, "text": text, "ref": index}))
                if index % 100 == 99:
                    await frames_until(ws, is_ack(index), timeout=30)
    asyncio.run(flood())
    after = rss_kib(strict_node.process.pid)
    metrics = requests.get(strict_node.base + "/metrics", timeout=10).text
    assert "apus_sockets_slow_consumer_disconnects_total 1" in metrics, metrics[-2000:]
    # Ten MiB of messages went out; the server kept none of them for the client that stalled.
    assert after - before < 40 * 1024, (before, after)
    raw.close()


def test_sigterm_closes_sockets_with_1001(engine_env):
    started = Node(engine_env, [])
    ada = user(started.base)

    async def scenario():
        ws = await signed_socket(started, ada)
        started.process.send_signal(15)
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed as closed:
            return closed.rcvd.code
        return 0
    assert asyncio.run(scenario()) == 1001
    assert started.process.wait(timeout=15) == 0


def test_two_nodes_on_one_postgres_see_the_same_order(tmp_path):
    env = {**postgres_env(), "APUS_BCRYPT_COST": "4", "APUS_RATE_LIMIT_AUTH": "1000/60", "APUS_CHAT_SEND_RATE": "100000"}
    first = Node({**env, "APUS_DATA_DIR": str(tmp_path / "a")}, [])
    second = Node({**env, "APUS_DATA_DIR": str(tmp_path / "b")}, [])
    try:
        ada, bob = user(first.base), user(second.base)
        general = room(first.base, ada)
        join(second.base, general, bob)

        async def scenario():
            sockets = [await signed_socket(first, ada), await signed_socket(second, bob)]
            for ws in sockets:
                await ws.send(json.dumps({"type": "subscribe", "room": general, "ref": 0}))
                await frames_until(ws, is_ack(0))

            async def talk(ws, name):
                for index in range(25):
                    await ws.send(json.dumps({"type": "send", "room": general, "text": f"{name} {index}", "ref": f"{name}{index}"}))
            await asyncio.gather(talk(sockets[0], "ada"), talk(sockets[1], "bob"))
            seen = []
            for ws in sockets:
                frames = await frames_until(ws, lambda f: f.get("type") == "message" and f["message"]["seq"] == 50, timeout=20)
                seen.append([f["message"]["text"] for f in frames if f.get("type") == "message"])
                await ws.close()
            return seen

        at_first, at_second = asyncio.run(scenario())
        assert len(at_first) == 50 and at_first == at_second
    finally:
        first.stop()
        second.stop()


def test_presence_spans_nodes_and_a_killed_node_drops_its_users_within_the_bound(tmp_path):
    heartbeat = 0.5  # rows live three heartbeats; a sweep comes within one more
    env = {**postgres_env(), "APUS_BCRYPT_COST": "4", "APUS_RATE_LIMIT_AUTH": "1000/60", "APUS_CHAT_PRESENCE_HEARTBEAT": str(heartbeat)}
    first = Node({**env, "APUS_DATA_DIR": str(tmp_path / "a")}, [])
    second = Node({**env, "APUS_DATA_DIR": str(tmp_path / "b")}, [])
    try:
        ada, bob = user(first.base), user(second.base)
        general = room(first.base, ada)
        join(second.base, general, bob)

        def present() -> set:
            body = requests.get(first.base + f"/v1/chat/rooms/{general}/presence", headers=ada["auth"], timeout=10).json()
            return {item["user_id"] for item in body["items"]}

        async def scenario():
            ada_ws, bob_ws = await signed_socket(first, ada), await signed_socket(second, bob)
            for ws in (ada_ws, bob_ws):
                await ws.send(json.dumps({"type": "subscribe", "room": general, "ref": 0}))
                await frames_until(ws, is_ack(0))
            assert present() == {ada["id"], bob["id"]}
            second.process.kill()  # no goodbye: its rows stay until they expire
            killed = time.monotonic()
            frames = await frames_until(ada_ws, lambda f: f.get("type") == "presence" and f["user_id"] == bob["id"] and not f["online"], timeout=15)
            elapsed = time.monotonic() - killed
            assert elapsed < 4 * heartbeat + 1.5, elapsed
            assert present() == {ada["id"]}
            await ada_ws.close()
            return frames

        asyncio.run(scenario())
    finally:
        first.stop()
        second.stop()


def test_python_socketio_connects_joins_sends_with_an_ack_and_receives(node):
    import socketio

    ada, bob = user(node.base), user(node.base)
    general = room(node.base, ada)
    join(node.base, general, bob)

    async def scenario():
        received = asyncio.Queue()
        bob_client = socketio.AsyncClient()
        bob_client.on("message", lambda data: received.put_nowait(data))
        await bob_client.connect(node.base, transports=["websocket"], auth={"token": bob["token"]})
        ack = await bob_client.call("subscribe", {"room": general}, timeout=10)
        assert ack == {"room": general, "seq": 0, "recovered": False}

        ada_client = socketio.AsyncClient()
        await ada_client.connect(node.base, transports=["websocket"], auth={"token": ada["token"]})
        sent = await ada_client.call("send", {"room": general, "text": "hello over socket.io", "client_id": "s-1"}, timeout=10)
        assert sent["message"]["seq"] == 1 and sent["message"]["text"] == "hello over socket.io"
        # The same send again (a retry after a lost ack) is the same message.
        again = await ada_client.call("send", {"room": general, "text": "hello over socket.io", "client_id": "s-1"}, timeout=10)
        assert again["message"]["id"] == sent["message"]["id"]
        frame = await asyncio.wait_for(received.get(), 10)
        assert frame["message"]["text"] == "hello over socket.io" and frame["message"]["sender_id"] == ada["id"]

        # A request that fails is answered through its ack with the problem.
        refused = await ada_client.call("send", {"room": general}, timeout=10)
        assert refused["error"]["status"] == 422

        # Recovery through Socket.IO: Bob reconnects with his last number and gets what he missed.
        await bob_client.disconnect()
        for index in range(5):
            await ada_client.call("send", {"room": general, "text": f"while away {index}"}, timeout=10)
        back_queue = asyncio.Queue()
        back = socketio.AsyncClient()
        back.on("message", lambda data: back_queue.put_nowait(data))
        await back.connect(node.base, transports=["websocket"], auth={"token": bob["token"]})
        ack = await back.call("subscribe", {"room": general, "last_seq": 1}, timeout=10)
        assert ack == {"room": general, "seq": 6, "recovered": True}
        missed = [(await asyncio.wait_for(back_queue.get(), 10))["message"]["seq"] for _ in range(5)]
        assert missed == [2, 3, 4, 5, 6]
        await back.disconnect()
        await ada_client.disconnect()

        # A bad token is refused at connect.
        refused_client = socketio.AsyncClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused_client.connect(node.base, transports=["websocket"], auth={"token": "nonsense"})

    asyncio.run(scenario())
