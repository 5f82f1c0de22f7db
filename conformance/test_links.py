"""Short links on the wire: the target is kept in one form, and that form is what every client sees."""

import http.client
from urllib.parse import urlsplit

import requests

from test_identity import sign_up


def raw_location(base: str, code: str) -> bytes:
    """The `Location` header's bytes exactly as the server sent them, redirect not followed."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("GET", "/" + code)
        response = connection.getresponse()
        assert response.status == 302
        return next(value for name, value in response.msg.raw_items() if name.lower() == "location").encode("latin-1")
    finally:
        connection.close()


def test_a_unicode_target_is_stored_and_sent_as_one_ascii_url(node):
    headers = {"Authorization": f"Bearer {sign_up(node.base)['access_token']}"}
    created = requests.post(node.base + "/v1/links", headers=headers, timeout=5, json={"url": "HTTPS://Bücher.Example./straße?q=ü#teil"})
    assert created.status_code == 201, created.text
    link = created.json()
    assert link["url"] == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC#teil"
    assert raw_location(node.base, link["code"]) == link["url"].encode("ascii")
    assert requests.get(f"{node.base}/v1/links/{link['code']}", headers=headers, timeout=5).json()["url"] == link["url"]


def test_no_spelling_of_a_blocked_host_gets_through(engine_env):
    from conftest import Node

    node = Node({**engine_env, "APUS_LINKS_BLOCKED_HOSTS": "evil.com"}, [])
    try:
        headers = {"Authorization": f"Bearer {sign_up(node.base)['access_token']}"}
        for target in ["https://evil.com./", "https://evil.com\\@good.com/", "https://evil%2Ecom/", "https://ｅｖｉｌ.com/",
                       "https://evil。com/", "https:evil.com", "https://good.com@evil.com/", "https://a.EVIL.com:443/"]:
            response = requests.post(node.base + "/v1/links", headers=headers, timeout=5, json={"url": target})
            assert response.status_code == 422, (target, response.status_code, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["errors"][0]["field"] == "url", target
    finally:
        node.stop()
