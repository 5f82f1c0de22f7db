"""Identity with clients written by others: PyJWT verifies access tokens from the JWKS alone."""

import base64
import json
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conftest import Node


def sign_up(base: str, email: str | None = None, password: str = "correct horse battery") -> dict:
    email = email or f"{uuid.uuid4().hex[:10]}@example.com"
    assert requests.post(base + "/v1/auth/register", json={"email": email, "password": password}, timeout=10).status_code == 201
    response = requests.post(base + "/v1/auth/login", json={"email": email, "password": password}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_pyjwt_verifies_an_access_token_from_the_jwks_alone(node):
    pair = sign_up(node.base)
    jwks = requests.get(node.base + "/.well-known/jwks.json", timeout=5).json()
    header = jwt.get_unverified_header(pair["access_token"])
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(pair["access_token"], jwt.PyJWK(key).key, algorithms=["EdDSA"])
    assert claims["sub"].startswith("usr_")
    assert claims["sid"].startswith("ses_")
    assert claims["exp"] - claims["iat"] == 900
    assert claims["roles"] == ["viewer"]
    assert claims["jti"]
    # The client PyJWT also offers for JWKS URLs agrees.
    signing_key = jwt.PyJWKClient(node.base + "/.well-known/jwks.json").get_signing_key_from_jwt(pair["access_token"])
    assert jwt.decode(pair["access_token"], signing_key.key, algorithms=["EdDSA"])["sub"] == claims["sub"]


def test_a_token_signed_by_another_key_is_refused_by_pyjwt_and_the_server(node):
    pair = sign_up(node.base)
    real = jwt.get_unverified_header(pair["access_token"])
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    forged = jwt.encode({**claims, "roles": ["admin"]}, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": real["kid"]})
    jwks = requests.get(node.base + "/.well-known/jwks.json", timeout=5).json()
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == real["kid"])).key
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key, algorithms=["EdDSA"])
    assert requests.get(node.base + "/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}, timeout=5).status_code == 401
    unsigned = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": real["kid"]}).encode()).rstrip(b"=").decode()
    none_token = unsigned + "." + pair["access_token"].split(".")[1] + "."
    assert requests.get(node.base + "/v1/auth/me", headers={"Authorization": f"Bearer {none_token}"}, timeout=5).status_code == 401


def test_an_expired_token_is_refused_by_pyjwt_and_the_server(engine_env):
    node = Node({**engine_env, "APUS_ACCESS_TOKEN_TTL": "1"}, [])
    try:
        pair = sign_up(node.base)
        jwks = requests.get(node.base + "/.well-known/jwks.json", timeout=5).json()
        key = jwt.PyJWK(jwks["keys"][-1]).key
        time.sleep(2.2)
        with pytest.raises(jwt.ExpiredSignatureError):
            jwt.decode(pair["access_token"], key, algorithms=["EdDSA"])
        response = requests.get(node.base + "/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"}, timeout=5)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
    finally:
        node.stop()


def test_refresh_rotation_and_logout_over_http(node):
    pair = sign_up(node.base)
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    rotated = requests.post(node.base + "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}, timeout=5)
    assert rotated.status_code == 200
    reused = requests.post(node.base + "/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}, timeout=5)
    assert reused.status_code == 401
    assert requests.get(node.base + "/v1/auth/me", headers=auth, timeout=5).status_code == 401
    fresh = requests.post(node.base + "/v1/auth/login", json={"email": requests.get(node.base + "/v1/auth/me", headers={"Authorization": "Bearer " + sign_up(node.base)["access_token"]}, timeout=5).json()["email"], "password": "correct horse battery"}, timeout=5).json()
    fresh_auth = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert requests.post(node.base + "/v1/auth/logout", headers=fresh_auth, timeout=5).status_code == 204
    assert requests.get(node.base + "/v1/auth/me", headers=fresh_auth, timeout=5).status_code == 401


def test_the_first_admin_comes_from_the_environment(engine_env):
    node = Node({**engine_env, "APUS_ADMIN_EMAIL": "root@example.com", "APUS_ADMIN_PASSWORD": "admin password 1"}, [])
    try:
        login = requests.post(node.base + "/v1/auth/login", json={"email": "root@example.com", "password": "admin password 1"}, timeout=10)
        assert login.status_code == 200
        users = requests.get(node.base + "/v1/users", headers={"Authorization": f"Bearer {login.json()['access_token']}"}, timeout=5)
        assert users.status_code == 200
        assert [u["roles"] for u in users.json()["items"] if u["email"] == "root@example.com"] == [["admin"]]
    finally:
        node.stop()
