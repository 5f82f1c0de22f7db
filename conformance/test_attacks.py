"""Attacks an outside probe tried against the running server, kept as regression tests: forged
and stale credentials, a refresh token raced, privileges claimed that were never given, a wrong
password timed against an unknown email, hostile request paths, a spoofed client address and one
user reaching for another's things. Each shows first that the honest request works, then that
the attack fails; no answer anywhere in this file tells the caller about the server's insides."""

import base64
import hashlib
import hmac
import http.server
import json
import re
import socket
import statistics
import threading
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import Node
from test_identity import sign_up

ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "admin password 1"
PASSWORD = "correct horse battery"

# What an error body must never show: SQL, the database's name, source files, build or temporary
# paths, a Swift crash or a stack trace.
LEAKS = [re.compile(rb"SELECT|INSERT|\.swift|/work/|/tmp/|Fatal error|Swift\."), re.compile(rb"sqlite|psql|\bat 0x[0-9a-f]+", re.IGNORECASE)]
# Tokens, ids and signatures: random base64url text, which now and then spells "psql" or "Swift.".
# A run this long of lower and upper case letters and digits mixed is no word a leak would show
# (SQLITE_CONSTRAINT_UNIQUE has no lower case and stays).
OPAQUE = re.compile(rb"[A-Za-z0-9_-]{24,}")


def opaque(run: bytes) -> bool:
    return any(c.islower() for c in run.decode()) and any(c.isupper() for c in run.decode()) and any(c.isdigit() for c in run.decode())


def leaks(body: bytes) -> bool:
    scrubbed = OPAQUE.sub(lambda match: b"" if opaque(match.group()) else match.group(), body)
    return any(pattern.search(scrubbed) for pattern in LEAKS)


@pytest.fixture(autouse=True)
def bodies(monkeypatch):
    """Every response body a test receives, through `requests` or a raw socket (tests add those):
    none may leak the server's insides."""
    seen: list[tuple[str, int, bytes]] = []
    original = requests.Session.request

    def recording(self, method, url, *args, **kwargs):
        response = original(self, method, url, *args, **kwargs)
        seen.append((f"{method} {url}", response.status_code, response.content))
        return response

    monkeypatch.setattr(requests.Session, "request", recording)
    yield seen
    assert seen
    leaked = [(request, status, body[:300]) for request, status, body in seen if leaks(body)]
    assert leaked == [], leaked


@pytest.fixture
def admin_node(engine_env):
    started = Node({**engine_env, "APUS_ADMIN_EMAIL": ADMIN_EMAIL, "APUS_ADMIN_PASSWORD": ADMIN_PASSWORD}, [])
    yield started
    started.stop()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(base: str, email: str, password: str = PASSWORD) -> dict:
    response = requests.post(base + "/v1/auth/login", json={"email": email, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def me(base: str, credential: str) -> requests.Response:
    return requests.get(base + "/v1/auth/me", headers=bearer(credential), timeout=5)


def refresh(base: str, refresh_token) -> requests.Response:
    return requests.post(base + "/v1/auth/refresh", json={"refresh_token": refresh_token}, timeout=10)


def assert_refused(response: requests.Response, status: int = 401) -> None:
    assert response.status_code == status, (response.request.method, response.request.url, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")


def api_key(base: str, token: str, scopes: list[str]) -> dict:
    created = requests.post(base + "/v1/api-keys", headers=bearer(token), json={"name": "attacks", "scopes": scopes}, timeout=5)
    assert created.status_code == 201, created.text
    return created.json()


def user_id(base: str, token: str) -> str:
    response = me(base, token)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segment(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def hs256_by_hand(header: dict, claims: dict, key: bytes) -> str:
    """HS256 with a key PyJWT rightly refuses to use: an empty one (what `/dev/null` gives) or a
    JWK document."""
    signing_input = segment(header) + "." + segment(claims)
    return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


class AttackerJWKS:
    """An attacker's HTTP server offering its own JWKS, counting who comes to fetch it."""

    def __init__(self, public_jwk: dict):
        document = json.dumps({"keys": [public_jwk]}).encode()
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_forged_access_tokens_are_refused(node):
    pair = sign_up(node.base)
    other = sign_up(node.base)
    genuine = pair["access_token"]
    assert me(node.base, genuine).status_code == 200
    jwks_response = requests.get(node.base + "/.well-known/jwks.json", timeout=5)
    jwks_bytes = jwks_response.content
    real_header = jwt.get_unverified_header(genuine)
    kid = real_header["kid"]
    server_jwk = next(key for key in jwks_response.json()["keys"] if key["kid"] == kid)
    public_bytes = unb64url(server_jwk["x"])
    assert len(public_bytes) == 32
    claims = jwt.decode(genuine, options={"verify_signature": False})
    admin_claims = {**claims, "roles": ["admin"]}
    header_segment, payload_segment, signature_segment = genuine.split(".")

    attacker = Ed25519PrivateKey.generate()
    attacker_jwk = {**json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(attacker.public_key())), "kid": "attacker", "alg": "EdDSA", "use": "sig"}
    jku = AttackerJWKS(attacker_jwk)
    try:
        none_header = {"alg": "none", "typ": "JWT", "kid": kid}
        forged = {
            "alg none, no signature": segment(none_header) + "." + segment(admin_claims) + ".",
            "alg none, the real signature kept": segment(none_header) + "." + payload_segment + "." + signature_segment,
            "alg None": segment({**none_header, "alg": "None"}) + "." + segment(admin_claims) + ".",
            "alg NONE, no signature part": segment({**none_header, "alg": "NONE"}) + "." + segment(admin_claims),
            "HS256 keyed with the JWKS document": hs256_by_hand({"alg": "HS256", "typ": "JWT", "kid": kid}, admin_claims, jwks_bytes),
            "HS256 keyed with the public key bytes": jwt.encode(admin_claims, public_bytes, algorithm="HS256", headers={"kid": kid}),
            "HS256 keyed with the public key's base64url": jwt.encode(admin_claims, server_jwk["x"].encode(), algorithm="HS256", headers={"kid": kid}),
            "kid path traversal, HS256 with an empty key": hs256_by_hand({"alg": "HS256", "typ": "JWT", "kid": "../../../../etc/passwd"}, admin_claims, b""),
            "kid /dev/null, HS256 with an empty key": hs256_by_hand({"alg": "HS256", "typ": "JWT", "kid": "../../../../../../dev/null"}, admin_claims, b""),
            "kid path traversal, signed by the attacker": jwt.encode(admin_claims, attacker, algorithm="EdDSA", headers={"kid": "../../../../etc/passwd"}),
            "kid SQL, signed by the attacker": jwt.encode(admin_claims, attacker, algorithm="EdDSA", headers={"kid": "' OR '1'='1"}),
            "kid SQL, HS256 with an empty key": hs256_by_hand({"alg": "HS256", "typ": "JWT", "kid": "' OR '1'='1"}, admin_claims, b""),
            "embedded jwk, the attacker's key": jwt.encode(admin_claims, attacker, algorithm="EdDSA", headers={"jwk": attacker_jwk}),
            "embedded jwk with the server's kid": jwt.encode(admin_claims, attacker, algorithm="EdDSA", headers={"kid": kid, "jwk": attacker_jwk}),
            "jku to the attacker's JWKS": jwt.encode(admin_claims, attacker, algorithm="EdDSA", headers={"kid": "attacker", "jku": jku.url}),
            "x5u to the attacker": jwt.encode(admin_claims, attacker, algorithm="EdDSA", headers={"kid": "attacker", "x5u": jku.url}),
            "signature stripped": header_segment + "." + payload_segment + ".",
            "signature of another payload: roles escalated": header_segment + "." + segment(admin_claims) + "." + signature_segment,
            "signature of another payload: sub changed": header_segment + "." + segment({**claims, "sub": user_id(node.base, other["access_token"])}) + "." + signature_segment,
            "signature of another payload: exp extended": header_segment + "." + segment({**claims, "exp": claims["exp"] + 86400 * 365}) + "." + signature_segment,
            "signature truncated": header_segment + "." + payload_segment + "." + signature_segment[:-4],
            "header alg changed to HS256, real signature": segment({**real_header, "alg": "HS256"}) + "." + payload_segment + "." + signature_segment,
            "a fresh Ed25519 key with the server's kid": jwt.encode(admin_claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}),
            "a fresh Ed25519 key, claims unchanged": jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}),
        }
        for name, token in forged.items():
            response = me(node.base, token)
            assert response.status_code == 401, (name, response.status_code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json"), name
        assert jku.hits == 0
    finally:
        jku.close()
    # The forgeries did not spoil the genuine token, nor did one become the other user.
    assert me(node.base, genuine).json()["id"] == claims["sub"]


def test_expired_access_and_refresh_tokens_are_refused(engine_env):
    node = Node({**engine_env, "APUS_ACCESS_TOKEN_TTL": "1", "APUS_REFRESH_TOKEN_TTL": "2"}, [])
    try:
        first = sign_up(node.base)
        assert me(node.base, first["access_token"]).status_code == 200
        email = me(node.base, first["access_token"]).json()["email"]
        rotated = refresh(node.base, login(node.base, email)["refresh_token"])
        assert rotated.status_code == 200, rotated.text
        issued = time.monotonic()
        time.sleep(max(0.0, issued + 2.3 - time.monotonic()))
        assert_refused(me(node.base, first["access_token"]))
        assert_refused(me(node.base, rotated.json()["access_token"]))
        assert_refused(refresh(node.base, rotated.json()["refresh_token"]))
    finally:
        node.stop()


def test_garbage_refresh_tokens_are_refused(node):
    pair = sign_up(node.base)
    real = pair["refresh_token"]
    garbage = ["", "x", "rt_", real[:-1], real + "A", real[:-1] + ("A" if real[-1] != "A" else "B"), real.upper(), "rt_" + "A" * 10_000,
               "' OR '1'='1", "rt_' OR '1'='1' --", "../../../../etc/passwd", pair["access_token"], "null", "\u202e" + real]
    for token in garbage:
        assert_refused(refresh(node.base, token))
    for wrong_type in [None, 123, [real], {"token": real}, True, real + "\u0000"]:
        response = refresh(node.base, wrong_type)
        assert 400 <= response.status_code < 500, (wrong_type, response.status_code, response.text)
    # None of that spent or ended the real one.
    assert refresh(node.base, real).status_code == 200


def test_one_refresh_token_raced_by_eight_requests_rotates_once(node):
    pair = sign_up(node.base)
    assert me(node.base, pair["access_token"]).status_code == 200
    start = threading.Barrier(8)
    responses: list[requests.Response] = []

    def race():
        start.wait()
        responses.append(refresh(node.base, pair["refresh_token"]))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 7, statuses


def test_a_disabled_or_deleted_users_tokens_and_api_keys_are_refused(admin_node):
    base = admin_node.base
    admin = bearer(login(base, ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"])
    victims = {}
    for name in ("disabled", "deleted"):
        pair = sign_up(base)
        key = api_key(base, pair["access_token"], ["account.self"])["key"]
        assert me(base, pair["access_token"]).status_code == 200
        assert me(base, key).status_code == 200
        victims[name] = (user_id(base, pair["access_token"]), pair, key)

    disabled_id, disabled_pair, disabled_key = victims["disabled"]
    email = me(base, disabled_pair["access_token"]).json()["email"]
    changed = requests.patch(f"{base}/v1/users/{disabled_id}", headers=admin, json={"disabled": True}, timeout=5)
    assert changed.status_code == 200 and changed.json()["disabled"] is True, changed.text
    assert_refused(me(base, disabled_pair["access_token"]))
    assert_refused(me(base, disabled_key))
    assert_refused(refresh(base, disabled_pair["refresh_token"]))
    assert_refused(requests.post(base + "/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=10))

    deleted_id, deleted_pair, deleted_key = victims["deleted"]
    assert requests.delete(f"{base}/v1/users/{deleted_id}", headers=admin, timeout=5).status_code == 204
    assert_refused(me(base, deleted_pair["access_token"]))
    assert_refused(me(base, deleted_key))
    assert_refused(refresh(base, deleted_pair["refresh_token"]))
    assert_refused(requests.get(f"{base}/v1/users/{deleted_id}", headers=admin, timeout=5), 404)


def test_a_viewer_cannot_give_itself_scopes_or_roles_it_does_not_hold(admin_node):
    base = admin_node.base
    admin = bearer(login(base, ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"])
    viewer_token = sign_up(base)["access_token"]
    viewer = bearer(viewer_token)
    viewer_id = user_id(base, viewer_token)
    email = me(base, viewer_token).json()["email"]
    own_key = api_key(base, viewer_token, ["account.self", "links.manage"])
    assert own_key["scopes"] == ["account.self", "links.manage"]

    for scopes in (["users.manage"], ["jobs.manage"], ["notifications.webhooks"], ["account.self", "users.manage"]):
        response = requests.post(base + "/v1/api-keys", headers=viewer, json={"name": "more", "scopes": scopes}, timeout=5)
        assert_refused(response, 403)
    # A key cannot mint a key broader than itself, even with a scope its owner holds.
    narrow = api_key(base, viewer_token, ["account.self"])["key"]
    assert_refused(requests.post(base + "/v1/api-keys", headers=bearer(narrow), json={"name": "wider", "scopes": ["links.manage"]}, timeout=5), 403)

    for body in ({"roles": ["admin"]}, {"roles": ["editor"]}, {"roles": ["viewer", "admin"]}, {"disabled": False}):
        assert_refused(requests.patch(f"{base}/v1/users/{viewer_id}", headers=viewer, json=body, timeout=5), 403)
    assert_refused(requests.get(base + "/v1/users", headers=viewer, timeout=5), 403)
    assert_refused(requests.get(base + "/v1/users", headers=bearer(own_key["key"]), timeout=5), 403)
    assert me(base, viewer_token).json()["roles"] == ["viewer"]
    # The route itself works for whoever holds users.manage.
    promoted = requests.patch(f"{base}/v1/users/{viewer_id}", headers=admin, json={"roles": ["editor"]}, timeout=5)
    assert promoted.status_code == 200 and promoted.json()["roles"] == ["editor"], promoted.text
    # A change of roles ends the sessions, so no token goes on carrying the old roles.
    assert_refused(me(base, viewer_token))

    # A key never outlives its owner's rights: demoted again, the editor's webhook key stops working.
    editor_token = login(base, email)["access_token"]
    webhooks_key = api_key(base, editor_token, ["notifications.webhooks"])["key"]
    assert requests.get(base + "/v1/webhooks/endpoints", headers=bearer(webhooks_key), timeout=5).status_code == 200
    assert requests.patch(f"{base}/v1/users/{viewer_id}", headers=admin, json={"roles": ["viewer"]}, timeout=5).status_code == 200
    assert_refused(requests.get(base + "/v1/webhooks/endpoints", headers=bearer(webhooks_key), timeout=5), 403)
    assert_refused(me(base, editor_token))


def test_a_wrong_password_and_an_unknown_email_take_about_as_long(engine_env):
    """bcrypt at cost 10 dominates a login; an unknown email is checked against a decoy hash, so
    it cannot be told from a known one by the time the answer takes."""
    node = Node({**engine_env, "APUS_BCRYPT_COST": "10", "APUS_RATE_LIMIT_LOGIN_EMAIL": "1000/60"}, [])
    try:
        known = f"{uuid.uuid4().hex[:10]}@example.com"
        assert requests.post(node.base + "/v1/auth/register", json={"email": known, "password": PASSWORD}, timeout=10).status_code == 201
        login(node.base, known)

        def attempt(email: str) -> float:
            began = time.perf_counter()
            response = requests.post(node.base + "/v1/auth/login", json={"email": email, "password": "not the password"}, timeout=10)
            elapsed = time.perf_counter() - began
            assert_refused(response)
            return elapsed

        # Warm-up: the decoy hash is made on the first unknown email.
        attempt(known)
        attempt("warm-up@example.com")
        known_times, unknown_times = [], []
        for _ in range(8):
            known_times.append(attempt(known))
            unknown_times.append(attempt(f"{uuid.uuid4().hex[:10]}@example.com"))
        known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
        assert known_median > 0.01, known_times  # bcrypt at cost 10 is what a wrong password costs
        assert unknown_median >= 0.5 * known_median, (known_times, unknown_times)
    finally:
        node.stop()


def raw_get(port: int, target: str, token: str | None = None) -> tuple[int, dict, bytes]:
    """Sends the request target byte for byte, which no HTTP client library would leave alone."""
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n".encode("latin-1")
    if token:
        request += f"Authorization: Bearer {token}\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request + b"\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


HOSTILE_TARGETS = [
    "/../../../../etc/passwd", "/v1/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/..%2f..%2f..%2fetc%2fpasswd", "/v1/links/..%2f..%2f..%2fetc%2fpasswd", "/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
    "/v1/links/%252e%252e%252fusers", "//etc/passwd", "///etc/passwd", "/v1/links/..;/..;/", "/v1/links/..;/users",
    "/v1/links/abc%00", "/v1/links/abc%00.json", "/%00", "/v1/users/%00", "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/v1/links/%c0%ae%c0%ae%c0%af", "/%e0%80%ae%e0%80%ae/etc/passwd", "/%ff%fe", "/v1/links/" + "a" * 8192, "/" + "a/" * 4096,
    "/v1/users/%27%20OR%201=1", "/v1/users/%27%20OR%20%271%27=%271", "/v1/users/1%3B%20DROP%20TABLE%20users--",
    "/v1/links/%27%20OR%201=1--/stats", "/v1/auth/sessions/%27%20OR%201=1", "/..\\..\\..\\etc\\passwd", "/v1\\users",
    "/%5c..%5c..%5cetc%5cpasswd", "/v1/links/..%5c..%5cusers", "/.well-known/../v1/users", "/.well-known/%2e%2e/v1/users",
    "/health/live/../../v1/users", "/v1/links/%2F%2F", "/v1/links/%u002e%u002e", "/v1/links/%", "/v1/links/%zz",
    "/v1/links/~root", "/v1/webhooks/endpoints/..%2f..%2f..%2fusers", "/v1/jobs/..%252f..%252f", "/v1/openapi.json/..%2f..%2f",
    "/metrics/..%2f", "*", "/%0d%0aSet-Cookie:%20pwned=1", "/v1/links?cursor=%27%20OR%201=1", "/v1/links?limit=-1",
    "/v1/links?limit=99999999999999999999", "/v1/links?tag=%00", "/v1/users?cursor=%27%20OR%201=1", "/v1/links/a b", "/v1/links/\x01",
]
# Spellings of /v1/users that HTTP itself makes equal to it: they get what /v1/users gets, no more.
USERS_ALIASES = ["/v1//users", "http://elsewhere.example/v1/users"]


def test_hostile_paths_get_4xx_problems_and_never_reach_files_or_5xx(admin_node, bodies):
    base, port = admin_node.base, admin_node.port
    admin_token = login(base, ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]
    viewer_token = sign_up(base)["access_token"]
    callers = {"anonymous": None, "viewer": viewer_token, "admin": admin_token}
    # The honest requests the hostile ones imitate.
    assert raw_get(port, "/v1/users", admin_token)[0] == 200
    assert raw_get(port, "/health/live")[0] == 200

    for target in HOSTILE_TARGETS:
        for caller, token in callers.items():
            status, headers, body = raw_get(port, target, token)
            bodies.append((f"GET {target[:80]!r} as {caller}", status, body))
            assert 400 <= status < 500, (target[:80], caller, status, body[:200])
            if body:
                assert headers.get("content-type", "").startswith("application/problem+json"), (target[:80], caller, headers)
            assert b"root:" not in body and "set-cookie" not in headers, (target[:80], caller)
    for target in USERS_ALIASES:
        expected = {"anonymous": 401, "viewer": 403, "admin": 200}
        for caller, token in callers.items():
            status, _, body = raw_get(port, target, token)
            bodies.append((f"GET {target} as {caller}", status, body))
            assert status == expected[caller], (target, caller, status, body[:200])


def test_a_spoofed_x_forwarded_for_does_not_escape_the_auth_rate_limit(engine_env):
    def statuses(node: Node) -> list[int]:
        return [requests.post(node.base + "/v1/auth/refresh", json={"refresh_token": "rt_nothing"}, timeout=5,
                              headers={"X-Forwarded-For": f"198.51.100.{number}"}).status_code for number in range(1, 7)]

    limited = {**engine_env, "APUS_RATE_LIMIT_AUTH": "3/60"}
    # Behind a proxy that is trusted, each forwarded address is a client of its own ...
    trusted = Node({**limited, "APUS_TRUSTED_PROXIES": "127.0.0.1"}, [])
    try:
        assert statuses(trusted) == [401] * 6
    finally:
        trusted.stop()
    # ... but with no proxy trusted (the default) the header is the client's word, and ignored.
    node = Node(limited, [])
    try:
        answers = statuses(node)
        assert answers == [401] * 3 + [429] * 3, answers
    finally:
        node.stop()


def test_another_user_cannot_see_change_or_delete_what_ada_owns(admin_node):
    base = admin_node.base
    admin = bearer(login(base, ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"])
    people = {}
    for name in ("ada", "eve"):
        token = sign_up(base, f"{name}-{uuid.uuid4().hex[:6]}@example.com")["access_token"]
        identity = me(base, token).json()
        # Both editors, so Eve holds every permission the routes ask for and only ownership stands in her way.
        assert requests.patch(f"{base}/v1/users/{identity['id']}", headers=admin, json={"roles": ["editor"]}, timeout=5).status_code == 200
        people[name] = bearer(login(base, identity["email"])["access_token"])
    ada, eve = people["ada"], people["eve"]

    link = requests.post(base + "/v1/links", headers=ada, json={"url": "https://example.com/ada", "tags": ["mine"]}, timeout=5)
    assert link.status_code == 201, link.text
    code = link.json()["code"]
    endpoint = requests.post(base + "/v1/webhooks/endpoints", headers=ada, json={"url": "https://hooks.example/in", "event_types": ["links.link.created"]}, timeout=5)
    assert endpoint.status_code == 201, endpoint.text
    endpoint_id = endpoint.json()["id"]
    ada_key = requests.post(base + "/v1/api-keys", headers=ada, json={"name": "ada", "scopes": ["links.manage"]}, timeout=5).json()
    session_id = next(s["id"] for s in requests.get(base + "/v1/auth/sessions", headers=ada, timeout=5).json()["items"] if s["current"])

    before_link = requests.get(f"{base}/v1/links/{code}", headers=ada, timeout=5)
    before_endpoint = requests.get(f"{base}/v1/webhooks/endpoints/{endpoint_id}", headers=ada, timeout=5)
    assert before_link.status_code == 200 and before_endpoint.status_code == 200
    assert requests.get(f"{base}/v1/links/{code}/stats", headers=ada, timeout=5).status_code == 200
    # Eve's own link is hers to read: the routes work for her.
    eves = requests.post(base + "/v1/links", headers=eve, json={"url": "https://example.com/eve"}, timeout=5).json()["code"]
    assert requests.get(f"{base}/v1/links/{eves}", headers=eve, timeout=5).status_code == 200

    attempts = [
        ("GET", f"/v1/links/{code}", None), ("PATCH", f"/v1/links/{code}", {"url": "https://evil.example/"}),
        ("DELETE", f"/v1/links/{code}", None), ("GET", f"/v1/links/{code}/stats", None),
        ("GET", f"/v1/webhooks/endpoints/{endpoint_id}", None), ("PATCH", f"/v1/webhooks/endpoints/{endpoint_id}", {"url": "https://evil.example/in"}),
        ("POST", f"/v1/webhooks/endpoints/{endpoint_id}/rotate-secret", None), ("DELETE", f"/v1/webhooks/endpoints/{endpoint_id}", None),
        ("DELETE", f"/v1/auth/sessions/{session_id}", None), ("DELETE", f"/v1/api-keys/{ada_key['id']}", None),
    ]
    for method, path, body in attempts:
        response = requests.request(method, base + path, headers=eve, json=body, timeout=5)
        assert_refused(response, 404)
        # The same answer as for something that does not exist: no hint that Ada's does.
        missing = requests.request(method, base + path.replace(code, "zzzzzz").replace(endpoint_id, "whe_missing")
                                   .replace(session_id, "ses_missing").replace(ada_key["id"], "key_missing"), headers=eve, json=body, timeout=5)
        assert missing.status_code == 404 and missing.json()["title"] == response.json()["title"], (method, path)
    assert code not in {item["code"] for item in requests.get(base + "/v1/links", headers=eve, timeout=5).json()["items"]}
    assert endpoint_id not in {item["id"] for item in requests.get(base + "/v1/webhooks/endpoints", headers=eve, timeout=5).json()["items"]}

    assert requests.get(f"{base}/v1/links/{code}", headers=ada, timeout=5).json() == before_link.json()
    after_endpoint = requests.get(f"{base}/v1/webhooks/endpoints/{endpoint_id}", headers=ada, timeout=5).json()
    # Untouched, delivery health included: Eve's own link event is not Ada's to receive.
    assert after_endpoint == before_endpoint.json()
    assert requests.get(base + "/v1/auth/me", headers=ada, timeout=5).status_code == 200
    assert session_id in {s["id"] for s in requests.get(base + "/v1/auth/sessions", headers=ada, timeout=5).json()["items"]}
    assert requests.get(f"{base}/v1/links/{code}", headers=bearer(ada_key["key"]), timeout=5).status_code == 200
