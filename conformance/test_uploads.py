"""tus 1.0 against the running server: the real `tuspy` client, then every status code by hand."""

import base64
import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest
import requests
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError

from conftest import Node, free_port, run_apus

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = 8 * 1024 * 1024


def signed_in(base: str) -> dict:
    email = f"up-{uuid.uuid4().hex[:8]}@example.com"
    assert requests.post(base + "/v1/auth/register", json={"email": email, "password": "correct horse"}, timeout=10).status_code == 201
    login = requests.post(base + "/v1/auth/login", json={"email": email, "password": "correct horse"}, timeout=10)
    return {"Authorization": "Bearer " + login.json()["access_token"]}


def random_file(path, size: int) -> str:
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))
    return str(path)


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stored_object(env: dict, url: str) -> str:
    """The finished upload's file in the local object store."""
    return os.path.join(env["APUS_DATA_DIR"], "objects", "uploads", url.rstrip("/").rsplit("/", 1)[1])


def head(url: str, auth: dict) -> requests.Response:
    return requests.head(url, headers={**TUS, **auth}, timeout=10)


def wait_for_offset(url: str, auth: dict, at_least: int, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = head(url, auth)
        if response.status_code == 200 and int(response.headers["Upload-Offset"]) >= at_least:
            return int(response.headers["Upload-Offset"])
        time.sleep(0.02)
    raise AssertionError(f"the upload never reached {at_least} bytes")


CLIENT = textwrap.dedent(
    """
    import sys
    from tusclient import client
    base, token, path, url_file = sys.argv[1:5]
    uploader = client.TusClient(base + "/v1/uploads", headers={"Authorization": "Bearer " + token}).uploader(
        path, chunk_size=8 * 1024 * 1024, metadata={"filename": "big.bin"})
    uploader.set_url(uploader.create_url())
    open(url_file, "w").write(uploader.url)
    uploader.upload()
    """
)


def test_tuspy_uploads_in_chunks_survives_a_killed_client_and_resumes(node, engine_env, tmp_path):
    auth = signed_in(node.base)
    source = random_file(tmp_path / "big.bin", 200 * 1000 * 1000 + 12345)
    url_file = tmp_path / "url"
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    token = auth["Authorization"].split(" ", 1)[1]
    process = subprocess.Popen([sys.executable, str(script), node.base, token, source, str(url_file)])
    try:
        deadline = time.monotonic() + 60
        while not (url_file.exists() and url_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        url = url_file.read_text()
        wait_for_offset(url, auth, CHUNK)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    offset = int(head(url, auth).headers["Upload-Offset"])
    assert CHUNK <= offset < os.path.getsize(source), "the client was to be killed mid-way"

    # A new client from the stored URL asks HEAD for the offset and sends the rest, checksummed.
    # Until the server has seen the killed client's connection drop, that request still holds the
    # upload: a chunk sent meanwhile gets 423, and the client retries from a fresh HEAD.
    client = tus_client.TusClient(node.base + "/v1/uploads", headers=auth)
    uploader = client.uploader(source, url=url, chunk_size=CHUNK, upload_checksum=True, retries=20, retry_delay=0.5)
    assert uploader.offset >= offset
    uploader.upload()
    final = head(url, auth)
    assert final.headers["Upload-Offset"] == str(os.path.getsize(source))
    assert "Upload-Expires" not in final.headers
    assert sha256_of(stored_object(engine_env, url)) == sha256_of(source)


def test_tuspy_checksummed_upload_and_termination(node, engine_env, tmp_path):
    auth = signed_in(node.base)
    source = random_file(tmp_path / "small.bin", 3 * 1024 * 1024 + 7)
    client = tus_client.TusClient(node.base + "/v1/uploads", headers=auth)
    uploader = client.uploader(source, chunk_size=1024 * 1024, upload_checksum=True, metadata={"filename": "small.bin"})
    uploader.upload()
    assert sha256_of(stored_object(engine_env, uploader.url)) == sha256_of(source)
    assert head(uploader.url, auth).headers["Upload-Metadata"] == "filename " + base64.b64encode(b"small.bin").decode()
    assert requests.delete(uploader.url, headers={**TUS, **auth}, timeout=10).status_code == 204
    assert head(uploader.url, auth).status_code == 404
    assert not os.path.exists(stored_object(engine_env, uploader.url))


def create(base: str, auth: dict, length: int, **headers) -> str:
    response = requests.post(base + "/v1/uploads", headers={**TUS, **auth, "Upload-Length": str(length), **headers}, timeout=10)
    assert response.status_code == 201, response.text
    return requests.compat.urljoin(base + "/v1/uploads", response.headers["Location"])


def patch(url: str, auth: dict, offset: int, data, **headers) -> requests.Response:
    return requests.patch(url, data=data, timeout=30, headers={
        **TUS, **auth, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset), **headers,
    })


def test_every_protocol_status(node, engine_env):
    auth = signed_in(node.base)
    options = requests.options(node.base + "/v1/uploads", timeout=10)
    assert options.status_code == 204 and options.headers["Tus-Version"] == "1.0.0"
    assert "checksum" in options.headers["Tus-Extension"].split(",")
    url = create(node.base, auth, 10)
    assert requests.head(url, headers={**auth, "Tus-Resumable": "0.2.2"}, timeout=10).status_code == 412
    assert patch(url, auth, 0, b"abc", **{"Content-Type": "text/plain"}).status_code == 415
    assert patch(url, auth, 5, b"abc").status_code == 409
    first = patch(url, auth, 0, b"abc", **{"Upload-Checksum": "sha1 " + base64.b64encode(hashlib.sha1(b"abc").digest()).decode()})
    assert first.status_code == 204 and first.headers["Upload-Offset"] == "3" and first.headers["Tus-Resumable"] == "1.0.0"
    forged = patch(url, auth, 3, b"def", **{"Upload-Checksum": "sha1 " + base64.b64encode(hashlib.sha1(b"xyz").digest()).decode()})
    assert forged.status_code == 460
    assert head(url, auth).headers["Upload-Offset"] == "3"
    assert patch(url, auth, 3, b"def", **{"Upload-Checksum": "crc32 AAAAAA=="}).status_code == 400
    assert patch(url, auth, 3, b"d" * 8).status_code == 413
    too_big = requests.post(node.base + "/v1/uploads", headers={**TUS, **auth, "Upload-Length": str(6 * 1024**3)}, timeout=10)
    assert too_big.status_code == 413
    assert requests.head(url, headers=TUS, timeout=10).status_code == 401
    other = signed_in(node.base)
    assert head(url, other).status_code == 404

    parts = []
    for piece in (b"one-", b"two-", b"three"):
        part = create(node.base, auth, len(piece), **{"Upload-Concat": "partial"})
        assert patch(part, auth, 0, piece).status_code == 204
        parts.append(part)
    final = requests.post(node.base + "/v1/uploads", headers={**TUS, **auth, "Upload-Concat": "final;" + " ".join(parts)}, timeout=10)
    assert final.status_code == 201, final.text
    final_url = requests.compat.urljoin(node.base + "/v1/uploads", final.headers["Location"])
    assert head(final_url, auth).headers["Upload-Length"] == str(len(b"one-two-three"))
    assert patch(final_url, auth, 13, b"x").status_code == 403
    with open(stored_object(engine_env, final_url), "rb") as handle:
        assert handle.read() == b"one-two-three"

    assert requests.delete(url, headers={**TUS, **auth}, timeout=10).status_code == 204
    assert head(url, auth).status_code == 404


def test_an_expired_upload_answers_410_then_is_swept(engine_env):
    node = Node({**engine_env, "APUS_UPLOADS_EXPIRY": "1", "APUS_UPLOADS_SWEEP_INTERVAL": "1"}, [])
    try:
        auth = signed_in(node.base)
        url = create(node.base, auth, 10)
        assert patch(url, auth, 0, b"abc").status_code == 204
        deadline = time.monotonic() + 30
        statuses = set()
        while time.monotonic() < deadline:
            statuses.add(head(url, auth).status_code)
            if 404 in statuses:
                break
            time.sleep(0.05)
        assert statuses <= {200, 410, 404} and 404 in statuses
        assert not os.listdir(os.path.join(engine_env["APUS_DATA_DIR"], "objects", ".appending", "uploads"))
    finally:
        node.stop()


def test_a_server_killed_mid_patch_keeps_only_good_bytes_and_the_upload_completes(engine_env, tmp_path):
    size = 48 * 1024 * 1024
    source = random_file(tmp_path / "data.bin", size)
    node = Node(engine_env, [])
    auth = signed_in(node.base)
    url = create(node.base, auth, size)
    path = url.split("127.0.0.1:", 1)[1].split("/", 1)[1]

    sender = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import requests
        def body():
            with open({source!r}, "rb") as handle:
                for block in iter(lambda: handle.read(256 * 1024), b""):
                    yield block
        try:
            requests.patch({url!r}, data=body(), timeout=120, headers={{"Tus-Resumable": "1.0.0", "Authorization": {auth["Authorization"]!r},
                "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}})
        except Exception:
            pass
    """)])
    try:
        # Files grow under .appending before the offset is recorded: wait for some bytes, then kill.
        appending = os.path.join(engine_env["APUS_DATA_DIR"], "objects", ".appending", "uploads", url.rsplit("/", 1)[1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not os.path.exists(appending) or os.path.getsize(appending) < 20 * 1024 * 1024):
            time.sleep(0.01)
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
    finally:
        sender.kill()
        sender.wait()
    restarted = Node(engine_env, [])
    try:
        base_url = restarted.base + "/" + path
        offset = int(head(base_url, auth).headers["Upload-Offset"])
        assert 0 < offset < size
        with open(appending, "rb") as stored, open(source, "rb") as original:
            assert stored.read(offset) == original.read(offset), "every acknowledged byte is the client's"
        with open(source, "rb") as handle:
            handle.seek(offset)
            rest = handle.read()
        assert patch(base_url, auth, offset, rest).status_code == 204
        assert sha256_of(stored_object(engine_env, base_url)) == sha256_of(source)
    finally:
        restarted.stop()


BUCKET = "apus-conformance"
MIB = 1024 * 1024
# The S3 store's multipart part size: bytes go up in parts of this size whatever size the tus
# chunks are, and a tail that fills no part waits in a staging object.
S3_PART = 8 * MIB


@contextlib.contextmanager
def moto_s3():
    """A `moto_server` with an empty bucket, for as long as the block runs; yields its endpoint."""
    port = free_port()
    moto = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(endpoint + "/moto-api/", timeout=1)
                break
            except requests.RequestException:
                assert moto.poll() is None and time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        assert requests.put(f"{endpoint}/{BUCKET}", timeout=10).status_code == 200
        yield endpoint
    finally:
        moto.kill()
        moto.wait()


@pytest.fixture
def moto():
    with moto_s3() as endpoint:
        yield endpoint


def s3_env(endpoint: str) -> dict:
    return {
        "APUS_OBJECTS_URL": f"s3://{BUCKET}?endpoint={endpoint}&region=us-east-1",
        "APUS_OBJECTS_ACCESS_KEY": "testing", "APUS_OBJECTS_SECRET_KEY": "testing",
    }


def upload_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_tuspy_on_the_s3_store_of_motos_server(engine_env, moto, tmp_path):
    node = Node({**engine_env, **s3_env(moto)}, [])
    try:
        auth = signed_in(node.base)
        source = random_file(tmp_path / "s3.bin", 20 * MIB + 3)
        client = tus_client.TusClient(node.base + "/v1/uploads", headers=auth)
        uploader = client.uploader(source, chunk_size=3 * MIB, upload_checksum=True)
        uploader.upload(stop_at=7 * MIB)
        # A new client resumes from the stored URL.
        resumed = tus_client.TusClient(node.base + "/v1/uploads", headers=auth).uploader(source, url=uploader.url, chunk_size=CHUNK, upload_checksum=True)
        assert resumed.offset == 7 * MIB
        resumed.upload()
        stored = requests.get(f"{moto}/{BUCKET}/uploads/{upload_id(uploader.url)}", timeout=30)
        assert stored.status_code == 200
        assert hashlib.sha256(stored.content).hexdigest() == sha256_of(source)
        forged = patch(create(node.base, auth, 4), auth, 0, b"abcd", **{"Upload-Checksum": "md5 " + base64.b64encode(hashlib.md5(b"dcba").digest()).decode()})
        assert forged.status_code == 460
    finally:
        node.stop()


def test_an_upload_on_s3_is_downloaded_whole_by_ranges_across_its_parts_and_by_etag(engine_env, moto, tmp_path):
    node = Node({**engine_env, **s3_env(moto)}, [])
    try:
        auth = signed_in(node.base)
        source = random_file(tmp_path / "s3.bin", 20 * MIB + 3)
        uploader = tus_client.TusClient(node.base + "/v1/uploads", headers=auth).uploader(source, chunk_size=3 * MIB)
        uploader.upload()
        with open(source, "rb") as handle:
            original = handle.read()
        size = len(original)

        # The object in the bucket is one multipart upload of 8 MiB parts and a 4 MiB + 3 tail.
        key = f"{moto}/{BUCKET}/uploads/{upload_id(uploader.url)}"
        assert requests.head(key, timeout=10).headers["ETag"].endswith('-3"')
        first_part = requests.head(key + "?partNumber=1", timeout=10)
        assert first_part.headers["x-amz-mp-parts-count"] == "3" and first_part.headers["Content-Length"] == str(S3_PART)

        file_url = node.base + "/v1/files/" + upload_id(uploader.url)
        whole = requests.get(file_url, headers=auth, timeout=30)
        assert whole.status_code == 200 and whole.headers["Content-Length"] == str(size)
        assert hashlib.sha256(whole.content).hexdigest() == sha256_of(source)
        assert whole.headers["ETag"] == '"' + sha256_of(source) + '"'
        # Across the first tus chunk's end, each part boundary, and both at once; then from a boundary on.
        for first, last in [(3 * MIB - 10, 3 * MIB + 10), (S3_PART - 10, S3_PART + 10), (2 * S3_PART - 1, 2 * S3_PART), (S3_PART - 5, 2 * S3_PART + 5)]:
            part = requests.get(file_url, headers={**auth, "Range": f"bytes={first}-{last}"}, timeout=30)
            assert part.status_code == 206, (first, last, part.text)
            assert part.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
            assert part.content == original[first:last + 1], (first, last)
        rest = requests.get(file_url, headers={**auth, "Range": f"bytes={S3_PART}-"}, timeout=30)
        assert rest.status_code == 206 and rest.content == original[S3_PART:]
        assert rest.headers["Content-Range"] == f"bytes {S3_PART}-{size - 1}/{size}"
        tail = requests.get(file_url, headers={**auth, "Range": "bytes=-10"}, timeout=10)
        assert tail.status_code == 206 and tail.content == original[-10:]
        assert tail.headers["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
        unchanged = requests.get(file_url, headers={**auth, "If-None-Match": whole.headers["ETag"]}, timeout=10)
        assert unchanged.status_code == 304 and unchanged.content == b""
        for outside in (f"bytes={size}-", f"bytes={size}-{size + 10}"):
            refused = requests.get(file_url, headers={**auth, "Range": outside}, timeout=10)
            assert refused.status_code == 416 and refused.headers["Content-Range"] == f"bytes */{size}", outside
        assert requests.head(file_url, headers=auth, timeout=10).headers["Content-Length"] == str(size)
    finally:
        node.stop()


@pytest.fixture
def two_nodes(engine_env, moto, tmp_path):
    """Two `apus serve` processes on one PostgreSQL database and one bucket: A starts (and
    migrates) first, then B, each with a data directory of its own."""
    shared = {**engine_env, **s3_env(moto)}
    first = Node(shared, [])
    try:
        second = Node({**shared, "APUS_DATA_DIR": str(tmp_path / "data-b")}, [])
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        try:
            second.stop()
        finally:
            first.stop()


def upload_lock_held(database_url: str, upload: str) -> bool:
    """Whether some session holds the advisory lock that guards writes to `upload`."""
    assert upload.replace("_", "").isalnum(), upload
    query = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        " AND classid::bigint = (hashtext('uploads')::bigint & 4294967295)"
        f" AND objid::bigint = (hashtext('{upload}')::bigint & 4294967295) AND objsubid = 2"
    )
    result = subprocess.run(["psql", "-X", "-tA", "-c", query, database_url], capture_output=True, text=True, check=True, timeout=30)
    return int(result.stdout.strip()) > 0


def wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def held_body(data: bytes, release: threading.Event, before: int = MIB):
    """`data` in 1 MiB pieces: the first `before` bytes at once, the rest once `release` is set."""
    for start in range(0, len(data), MIB):
        if start == before:
            release.wait(60)
        yield data[start:start + MIB]


def slow_body(data: bytes):
    for start in range(0, len(data), MIB):
        time.sleep(0.02)
        yield data[start:start + MIB]


def patch_in_background(url: str, auth: dict, offset: int, body) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["response"] = patch(url, auth, offset, body)
        except requests.RequestException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def parts_in_bucket(endpoint: str, upload: str) -> int:
    """How many parts the unfinished multipart upload of `upload` has in the bucket."""
    listed = requests.get(f"{endpoint}/{BUCKET}?uploads", timeout=10).text
    ids = [re.search(r"<UploadId>([^<]+)</UploadId>", entry).group(1) for entry in re.findall(r"<Upload>(.*?)</Upload>", listed)
           if f"<Key>uploads/{upload}</Key>" in entry]
    if not ids:
        return 0
    assert len(ids) == 1, ids
    parts = requests.get(f"{endpoint}/{BUCKET}/uploads/{upload}", params={"uploadId": ids[0]}, timeout=10).text
    return len(re.findall(r"<PartNumber>", parts))


@pytest.mark.parametrize("engine_env", ["postgres"], indirect=True)
def test_two_nodes_take_turns_at_one_upload_and_either_serves_the_file(two_nodes, moto, tmp_path):
    a, b = two_nodes
    auth = signed_in(a.base)  # signed in on A, accepted by B
    pieces = [5 * MIB] * 4 + [3 * MIB + 5]
    source = random_file(tmp_path / "turns.bin", sum(pieces))
    with open(source, "rb") as handle:
        original = handle.read()
    path = create(a.base, auth, len(original))[len(a.base):]
    offset = 0
    for index, length in enumerate(pieces):
        sender, other = (a, b) if index % 2 == 0 else (b, a)
        sent = patch(sender.base + path, auth, offset, original[offset:offset + length])
        assert sent.status_code == 204, (sender.base, offset, sent.text, sender.logs()[-3000:])
        offset += length
        assert sent.headers["Upload-Offset"] == str(offset)
        seen = head(other.base + path, auth)
        assert seen.status_code == 200 and seen.headers["Upload-Offset"] == str(offset), (index, seen.headers)

    upload = upload_id(path)
    key = f"{moto}/{BUCKET}/uploads/{upload}"
    assert requests.head(key, timeout=10).headers["ETag"].endswith('-3"'), "two 8 MiB parts and the tail"
    whole = requests.get(b.base + "/v1/files/" + upload, headers=auth, timeout=30)
    assert whole.status_code == 200 and hashlib.sha256(whole.content).hexdigest() == sha256_of(source)
    assert whole.headers["ETag"] == '"' + sha256_of(source) + '"'
    # The first part's end lies inside the chunk B sent after A's, from A's staged tail on.
    across = requests.get(a.base + "/v1/files/" + upload, headers={**auth, "Range": f"bytes={S3_PART - 10}-{S3_PART + 10}"}, timeout=30)
    assert across.status_code == 206 and across.content == original[S3_PART - 10:S3_PART + 11]


@pytest.mark.parametrize("engine_env", ["postgres"], indirect=True)
def test_a_final_upload_made_on_one_node_of_parts_in_progress_is_assembled_when_the_other_finishes_them(two_nodes, moto):
    a, b = two_nodes
    auth = signed_in(a.base)
    pieces = [os.urandom(6 * MIB), os.urandom(MIB + 7), os.urandom(3)]
    parts = [create(a.base, auth, len(piece), **{"Upload-Concat": "partial"})[len(a.base):] for piece in pieces]
    assert patch(a.base + parts[0], auth, 0, pieces[0]).status_code == 204
    # B makes the final upload while two of its parts are still in progress.
    final = requests.post(b.base + "/v1/uploads", headers={**TUS, **auth, "Upload-Concat": "final;" + " ".join(parts)}, timeout=10)
    assert final.status_code == 201, final.text
    assert "Upload-Offset" not in final.headers and "Upload-Expires" in final.headers
    final_path = requests.compat.urljoin(b.base + "/v1/uploads", final.headers["Location"])[len(b.base):]
    waiting = head(a.base + final_path, auth)
    assert waiting.status_code == 200 and "Upload-Offset" not in waiting.headers
    assert waiting.headers["Upload-Length"] == str(sum(map(len, pieces)))
    assert patch(a.base + final_path, auth, 0, b"x").status_code == 403
    # A finishes the parts; the final upload is assembled by a job on either node.
    assert patch(a.base + parts[1], auth, 0, pieces[1]).status_code == 204
    assert patch(b.base + parts[2], auth, 0, pieces[2]).status_code == 204
    wait_until(lambda: head(b.base + final_path, auth).headers.get("Upload-Offset") == str(sum(map(len, pieces))),
               "the final upload was never assembled")
    whole = requests.get(a.base + "/v1/files/" + upload_id(final_path), headers=auth, timeout=30)
    assert whole.status_code == 200 and whole.content == b"".join(pieces)
    assert whole.headers["ETag"] == '"' + hashlib.sha256(b"".join(pieces)).hexdigest() + '"'


@pytest.mark.parametrize("engine_env", ["postgres"], indirect=True)
def test_two_nodes_let_one_patch_at_a_time_write_an_upload(two_nodes, engine_env):
    a, b = two_nodes
    auth = signed_in(b.base)
    first, second, rest = os.urandom(6 * MIB), os.urandom(6 * MIB), os.urandom(6 * MIB + 7)
    path = create(a.base, auth, len(first) + len(rest))[len(a.base):]
    upload = upload_id(path)

    # A PATCH to A sends its first MiB and holds the connection open: A holds the upload's lock.
    release = threading.Event()
    holder, outcome = patch_in_background(a.base + path, auth, 0, held_body(first, release))
    try:
        wait_until(lambda: upload_lock_held(engine_env["APUS_DATABASE_URL"], upload) or not holder.is_alive(), "A never took the upload's lock")
        assert holder.is_alive(), outcome
        # Meanwhile B refuses a PATCH at the same offset, body and all, and has nothing new to say.
        refused = patch(b.base + path, auth, 0, slow_body(second))
        assert refused.status_code == 423, (refused.status_code, refused.text, b.logs()[-3000:])
        assert refused.headers["Retry-After"] == "1" and refused.headers["Tus-Resumable"] == "1.0.0"
        assert head(b.base + path, auth).headers["Upload-Offset"] == "0"
        assert holder.is_alive(), "the refusal did not disturb the PATCH holding the lock"
    finally:
        release.set()
        holder.join(60)
    assert not holder.is_alive() and "response" in outcome, outcome
    accepted = outcome["response"]
    assert accepted.status_code == 204, (accepted.status_code, accepted.text, a.logs()[-3000:])
    assert accepted.headers["Upload-Offset"] == str(len(first))
    for node in (a, b):
        assert head(node.base + path, auth).headers["Upload-Offset"] == str(len(first))

    finished = patch(b.base + path, auth, len(first), rest)
    assert finished.status_code == 204 and finished.headers["Upload-Offset"] == str(len(first) + len(rest)), finished.text
    stored = requests.get(a.base + "/v1/files/" + upload, headers=auth, timeout=30)
    assert stored.status_code == 200
    assert hashlib.sha256(stored.content).hexdigest() == hashlib.sha256(first + rest).hexdigest(), "the bytes are the accepted client's"


@pytest.mark.parametrize("engine_env", ["postgres"], indirect=True)
def test_two_nodes_a_lock_dies_with_the_node_holding_it_and_the_other_resumes(two_nodes, engine_env, moto, tmp_path):
    a, b = two_nodes
    auth = signed_in(a.base)
    source = random_file(tmp_path / "killed.bin", 16 * MIB + 7)
    with open(source, "rb") as handle:
        original = handle.read()
    path = create(b.base, auth, len(original))[len(b.base):]
    upload = upload_id(path)
    assert patch(b.base + path, auth, 0, original[:5 * MIB]).status_code == 204

    # A takes the next chunk: with B's staged 5 MiB, its first 4 MiB fill a part, which A puts in
    # the bucket; then the client holds the connection open.
    release = threading.Event()
    holder, outcome = patch_in_background(a.base + path, auth, 5 * MIB, held_body(original[5 * MIB:], release, before=4 * MIB))
    try:
        wait_until(lambda: upload_lock_held(engine_env["APUS_DATABASE_URL"], upload) or not holder.is_alive(), "A never took the upload's lock")
        wait_until(lambda: parts_in_bucket(moto, upload) > 0 or not holder.is_alive(), "A never sent a part to the bucket")
        assert holder.is_alive(), outcome
        refused = patch(b.base + path, auth, 5 * MIB, original[5 * MIB:])
        assert refused.status_code == 423, (refused.status_code, refused.text)
        a.process.send_signal(signal.SIGKILL)
        a.process.wait()
    finally:
        release.set()
        holder.join(60)
    assert "response" not in outcome, "A answered before it was killed"

    # A's session went with it, and its lock too: B takes the upload from where HEAD says it is.
    deadline = time.monotonic() + 30
    while True:
        offset = int(head(b.base + path, auth).headers["Upload-Offset"])
        assert 5 * MIB <= offset <= 9 * MIB, offset
        resumed = patch(b.base + path, auth, offset, original[offset:])
        if resumed.status_code != 423:
            break
        assert time.monotonic() < deadline, "the dead node's lock was never released"
        time.sleep(0.2)
    assert resumed.status_code == 204, (resumed.status_code, resumed.text, b.logs()[-3000:])
    assert resumed.headers["Upload-Offset"] == str(len(original))
    stored = requests.get(b.base + "/v1/files/" + upload, headers=auth, timeout=30)
    assert stored.status_code == 200 and hashlib.sha256(stored.content).hexdigest() == sha256_of(source)
    assert stored.headers["ETag"] == '"' + sha256_of(source) + '"'


def test_a_tuspy_upload_is_downloaded_whole_by_range_and_by_etag(node, tmp_path):
    auth = signed_in(node.base)
    source = random_file(tmp_path / "photo.png", 2 * 1024 * 1024 + 3)
    uploader = tus_client.TusClient(node.base + "/v1/uploads", headers=auth).uploader(
        source, chunk_size=1024 * 1024, metadata={"filename": "photo.png", "filetype": "image/png"})
    uploader.upload()
    file_url = node.base + "/v1/files/" + uploader.url.rstrip("/").rsplit("/", 1)[1]
    with open(source, "rb") as handle:
        original = handle.read()

    whole = requests.get(file_url, headers=auth, timeout=30)
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["Content-Type"] == "image/png" and whole.headers["X-Content-Type-Options"] == "nosniff"
    assert whole.headers["ETag"] == '"' + hashlib.sha256(original).hexdigest() + '"'
    assert requests.get(file_url, headers={**auth, "If-None-Match": whole.headers["ETag"]}, timeout=10).status_code == 304
    part = requests.get(file_url, headers={**auth, "Range": "bytes=1000-1999"}, timeout=10)
    assert part.status_code == 206 and part.content == original[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(original)}"
    tail = requests.get(file_url, headers={**auth, "Range": "bytes=-10"}, timeout=10)
    assert tail.status_code == 206 and tail.content == original[-10:]
    outside = requests.get(file_url, headers={**auth, "Range": f"bytes={len(original)}-"}, timeout=10)
    assert outside.status_code == 416 and outside.headers["Content-Range"] == f"bytes */{len(original)}"
    assert requests.head(file_url, headers=auth, timeout=10).headers["Content-Length"] == str(len(original))

    # Private until its owner says otherwise; a stranger's token finds nothing.
    assert requests.get(file_url, timeout=10).status_code == 401
    assert requests.get(file_url, headers=signed_in(node.base), timeout=10).status_code == 404
    assert requests.patch(file_url, json={"public": True}, headers=auth, timeout=10).json()["public"] is True
    assert requests.get(file_url, timeout=10).content == original
    listed = requests.get(node.base + "/v1/files", headers=auth, timeout=10).json()
    assert [item["url"] for item in listed["items"]] == ["/v1/files/" + uploader.url.rstrip("/").rsplit("/", 1)[1]]
    assert listed["next_cursor"] is None


def test_allowed_types_refuse_others_with_415_and_a_bad_setting_stops_the_node(engine_env, tmp_path):
    result = run_apus(["serve"], {**engine_env, "APUS_UPLOADS_ALLOWED_TYPES": "image"})
    assert result.returncode == 78 and "APUS_UPLOADS_ALLOWED_TYPES" in result.stderr
    node = Node({**engine_env, "APUS_UPLOADS_ALLOWED_TYPES": "image/*"}, [])
    try:
        auth = signed_in(node.base)
        source = random_file(tmp_path / "page.html", 1000)
        client = tus_client.TusClient(node.base + "/v1/uploads", headers=auth)
        refused = client.uploader(source, metadata={"filename": "page.html", "filetype": "text/html"})
        try:
            refused.create_url()
            raise AssertionError("an HTML upload was created")
        except TusCommunicationError as error:
            assert error.status_code == 415
        accepted = client.uploader(source, metadata={"filename": "a.png", "filetype": "image/png"})
        accepted.upload()
        assert head(accepted.url, auth).headers["Upload-Offset"] == "1000"
    finally:
        node.stop()


def test_cors_lets_a_listed_page_run_tus_and_tells_others_nothing(engine_env):
    page = "http://localhost:5173"
    node = Node({**engine_env, "APUS_CORS_ORIGINS": page + ", https://app.example.com"}, [])
    try:
        auth = signed_in(node.base)
        preflight = requests.options(node.base + "/v1/uploads", timeout=10, headers={
            "Origin": page, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,tus-resumable,upload-length,upload-metadata",
        })
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == page
        allowed = {name.strip().lower() for name in preflight.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "tus-resumable", "upload-length", "upload-metadata", "upload-offset", "upload-checksum",
                "upload-concat", "upload-defer-length", "x-http-method-override", "content-type", "idempotency-key"} <= allowed
        assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
        # tus discovery without Access-Control-Request-Method is still tus's.
        discovery = requests.options(node.base + "/v1/uploads", headers={"Origin": page}, timeout=10)
        assert discovery.headers["Tus-Version"] == "1.0.0" and discovery.headers["Access-Control-Allow-Origin"] == page

        created = requests.post(node.base + "/v1/uploads", timeout=10, headers={**TUS, **auth, "Origin": page, "Upload-Length": "4"})
        assert created.status_code == 201
        exposed = {name.strip().lower() for name in created.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"location", "upload-offset", "upload-length", "upload-expires", "tus-resumable"} <= exposed
        url = requests.compat.urljoin(node.base + "/v1/uploads", created.headers["Location"])
        sent = patch(url, auth, 0, b"abcd", Origin=page)
        assert sent.status_code == 204 and sent.headers["Access-Control-Allow-Origin"] == page

        stranger = requests.options(node.base + "/v1/uploads", timeout=10, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "Access-Control-Allow-Origin" not in stranger.headers
        assert "Access-Control-Allow-Origin" not in requests.get(node.base + "/health/live", headers={"Origin": "https://evil.example"}, timeout=10).headers
    finally:
        node.stop()
