"""tus 1.0 against the running server: the real `tuspy` client, then every status code by hand."""

import base64
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

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


def test_tuspy_on_the_s3_store_of_motos_server(engine_env, tmp_path):
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
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        assert requests.put(endpoint + "/apus-conformance", timeout=10).status_code == 200
        node = Node({
            **engine_env, "APUS_OBJECTS_URL": f"s3://apus-conformance?endpoint={endpoint}&region=us-east-1",
            "APUS_OBJECTS_ACCESS_KEY": "testing", "APUS_OBJECTS_SECRET_KEY": "testing",
        }, [])
        try:
            auth = signed_in(node.base)
            source = random_file(tmp_path / "s3.bin", 20 * 1024 * 1024 + 3)
            client = tus_client.TusClient(node.base + "/v1/uploads", headers=auth)
            uploader = client.uploader(source, chunk_size=3 * 1024 * 1024, upload_checksum=True)
            uploader.upload(stop_at=7 * 1024 * 1024)
            # A new client resumes from the stored URL.
            resumed = tus_client.TusClient(node.base + "/v1/uploads", headers=auth).uploader(source, url=uploader.url, chunk_size=CHUNK, upload_checksum=True)
            assert resumed.offset == 7 * 1024 * 1024
            resumed.upload()
            stored = requests.get(f"{endpoint}/apus-conformance/uploads/{uploader.url.rsplit('/', 1)[1]}", timeout=30)
            assert stored.status_code == 200
            assert hashlib.sha256(stored.content).hexdigest() == sha256_of(source)
            forged = patch(create(node.base, auth, 4), auth, 0, b"abcd", **{"Upload-Checksum": "md5 " + base64.b64encode(hashlib.md5(b"dcba").digest()).decode()})
            assert forged.status_code == 460
        finally:
            node.stop()
    finally:
        moto.kill()
        moto.wait()


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
