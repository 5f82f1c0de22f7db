"""python-socketio on uvicorn with the chat events bench/chat.sh drives: `subscribe` joins a
room and acknowledges; `send` numbers the message in its room and emits it to the room as
Apus's `/socket.io/` does (the same event names and payload shape), without storing it."""

import datetime
import uuid

import socketio

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
app = socketio.ASGIApp(sio)
sequences: dict[str, int] = {}


@sio.event
async def connect(sid, environ, auth):
    if not auth or not auth.get("token"):
        raise socketio.exceptions.ConnectionRefusedError("a token is required")


@sio.event
async def subscribe(sid, data):
    room = data["room"]
    await sio.enter_room(sid, room)
    return {"room": room, "seq": sequences.get(room, 0), "recovered": False}


@sio.event
async def send(sid, data):
    room = data["room"]
    sequences[room] = sequences.get(room, 0) + 1
    message = {
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds"),
        "id": "msg_" + uuid.uuid4().hex[:20],
        "room_id": room,
        "sender_id": sid,
        "seq": sequences[room],
        "text": data["text"],
    }
    await sio.emit("message", {"message": message, "room": room, "type": "message"}, room=room)
    return {"room": room, "message": message}
