"""Logs through Loki's API with real shippers (`python-logging-loki`, rsyslog, util-linux's
`logger`, protobuf pushes as promtail sends them) and the response shapes Loki's HTTP API
documents, on both engines; its live tail with `websockets`; what was acknowledged survives
kill -9."""

import asyncio
import contextlib
import json
import logging
import shutil
import subprocess
import signal
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import logging_loki
import pytest
import requests
import websockets
from standardwebhooks import Webhook

from conftest import Node, free_port, run_apus


@pytest.fixture
def logs_node(engine_env):
    # A socket without credentials is closed after the auth timeout: one second, not five.
    started = Node({**engine_env, "APUS_ADMIN_EMAIL": "logs@example.com", "APUS_ADMIN_PASSWORD": "logs password", "APUS_SOCKET_AUTH_TIMEOUT": "1"}, [])
    yield started
    started.stop()


def keys(base: str) -> tuple[str, str]:
    token = requests.post(base + "/v1/auth/login", json={"email": "logs@example.com", "password": "logs password"}, timeout=10).json()["access_token"]
    auth = {"Authorization": "Bearer " + token}
    made = [requests.post(base + "/v1/api-keys", json={"name": scope, "scopes": [scope]}, headers=auth, timeout=10) for scope in ("logs.write", "logs.read")]
    assert all(response.status_code == 201 for response in made), [response.text for response in made]
    return made[0].json()["key"], made[1].json()["key"]


def ship(base: str, write_key: str, app: str, records: list[tuple[int, str]]) -> None:
    """Sends records through python-logging-loki's handler, with the key as the Basic password."""
    handler = logging_loki.LokiHandler(url=base + "/loki/api/v1/push", tags={"app": app}, auth=("shipper", write_key), version="1")
    failures = []
    handler.handleError = lambda record: failures.append(record)
    logger = logging.getLogger("conformance." + uuid.uuid4().hex[:6])
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    for level, message in records:
        logger.log(level, message)
    handler.close()
    assert not failures, "the handler could not ship every record"


def query_range(base: str, read_key: str, query: str, **params) -> requests.Response:
    return requests.get(base + "/loki/api/v1/query_range", params={"query": query, **params}, headers={"Authorization": "Bearer " + read_key}, timeout=10)


def test_a_shipper_pushes_and_query_range_finds_lines_by_label_and_text(logs_node):
    base = logs_node.base
    write_key, read_key = keys(base)
    records = [(logging.INFO, f"order {n} paid") for n in range(10)] + [(logging.ERROR, "payment declined for order 7"), (logging.WARNING, "slow payment")]
    ship(base, write_key, "shop", records)

    found = query_range(base, read_key, '{app="shop", severity="error"} |= "declined"')
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["status"] == "success" and body["data"]["resultType"] == "streams"
    [stream] = body["data"]["result"]
    assert stream["stream"]["app"] == "shop" and stream["stream"]["severity"] == "error"
    [[timestamp, line]] = stream["values"]
    assert line == "payment declined for order 7"
    assert isinstance(timestamp, str) and abs(int(timestamp) / 1e9 - time.time()) < 120

    # Newest first unless asked; every line of the app, across its streams.
    everything = query_range(base, read_key, '{app="shop"}', limit=100).json()["data"]["result"]
    lines = [value for stream in everything for value in stream["values"]]
    assert len(lines) == len(records)
    info = next(stream for stream in everything if stream["stream"]["severity"] == "info")
    times = [int(value[0]) for value in info["values"]]
    assert times == sorted(times, reverse=True)
    forward = query_range(base, read_key, '{app="shop", severity="info"}', direction="forward", limit=3).json()["data"]["result"]
    assert [value[1] for value in forward[0]["values"]] == ["order 0 paid", "order 1 paid", "order 2 paid"]
    assert [v[1] for s in query_range(base, read_key, '{app="shop"} |~ "payment|order 9" != "declined"').json()["data"]["result"] for v in s["values"]].count("slow payment") == 1

    labels = requests.get(base + "/loki/api/v1/labels", headers={"Authorization": "Bearer " + read_key}, timeout=10).json()
    assert labels["status"] == "success" and {"app", "severity", "logger"} <= set(labels["data"])
    values = requests.get(base + "/loki/api/v1/label/severity/values", headers={"Authorization": "Bearer " + read_key}, timeout=10).json()
    assert values["data"] == ["error", "info", "warning"]

    # A metric query answers a matrix: [seconds as a number, value as a string].
    now = int(time.time())
    matrix = query_range(base, read_key, 'sum by (severity) (count_over_time({app="shop"}[5m]))', start=now - 60, end=now + 30, step="30s").json()
    assert matrix["data"]["resultType"] == "matrix"
    counts = {series["metric"]["severity"]: series["values"][-1] for series in matrix["data"]["result"]}
    assert counts["info"][1] == "10" and counts["error"][1] == "1"
    assert isinstance(counts["info"][0], (int, float))


def test_errors_come_as_loki_writes_them_and_keys_keep_to_their_scope(logs_node):
    base = logs_node.base
    write_key, read_key = keys(base)
    bad = query_range(base, read_key, '{app="shop"')
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/plain")
    assert bad.text.startswith("parse error at line 1, col ")
    # The writing key cannot read, the reading key cannot write, and no key is no entry.
    assert query_range(base, write_key, '{app="shop"}').status_code == 403
    push = {"streams": [{"stream": {"app": "x"}, "values": [[str(time.time_ns()), "line"]]}]}
    assert requests.post(base + "/loki/api/v1/push", json=push, headers={"Authorization": "Bearer " + read_key}, timeout=10).status_code == 403
    anonymous = requests.post(base + "/loki/api/v1/push", json=push, timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"].startswith("text/plain")
    stale = {"streams": [{"stream": {"app": "x"}, "values": [[str(time.time_ns()), "fresh"], [str(time.time_ns() - 30 * 86400 * 10**9), "stale"]]}]}
    partly = requests.post(base + "/loki/api/v1/push", json=stale, headers={"Authorization": "Bearer " + write_key}, timeout=10)
    assert partly.status_code == 400 and "too old" in partly.text
    assert [v[1] for s in query_range(base, read_key, '{app="x"}').json()["data"]["result"] for v in s["values"]] == ["fresh"]
    assert requests.get(base + "/loki/api/v1/status/buildinfo", headers={"Authorization": "Bearer " + read_key}, timeout=10).json()["version"].startswith("3.")


def test_what_a_push_acknowledged_survives_kill_9(engine_env):
    env = {**engine_env, "APUS_ADMIN_EMAIL": "logs@example.com", "APUS_ADMIN_PASSWORD": "logs password"}
    node = Node(env, [])
    write_key, read_key = keys(node.base)
    for batch in range(5):
        push = {"streams": [{"stream": {"app": "durable"}, "values": [[str(time.time_ns()), f"batch {batch} line {n}"] for n in range(100)]}]}
        assert requests.post(node.base + "/loki/api/v1/push", json=push, headers={"Authorization": "Bearer " + write_key}, timeout=10).status_code == 204
    node.process.send_signal(signal.SIGKILL)
    node.process.wait(timeout=10)
    again = Node(env, [])
    try:
        found = query_range(again.base, read_key, '{app="durable"}', limit=1000).json()["data"]["result"]
        assert sum(len(stream["values"]) for stream in found) == 500
    finally:
        again.stop()


# msg keeps the space after the syslog tag's colon; position.from drops it, as a real
# configuration would.
RSYSLOG_CONFIG = """
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{work}/log.sock" CreatePath="on")
module(load="omelasticsearch")
template(name="doc" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="program" name="programname" format="jsonf")
  property(outname="message" name="msg" format="jsonf" position.from="2")
}}
action(type="omelasticsearch" server="127.0.0.1" serverport="{port}" searchIndex="syslog" template="doc"
       bulkmode="on" uid="rsyslog" pwd="{key}" esVersion.major="8" errorFile="{work}/errors.json")
"""


@contextlib.contextmanager
def rsyslog(tmp_path, config: str):
    """rsyslogd in the foreground with `config`, reading what `logger -u <tmp>/log.sock` writes."""
    rsyslogd = shutil.which("rsyslogd")
    assert rsyslogd, "rsyslogd is not installed (apt-get install rsyslog rsyslog-elasticsearch)"
    (tmp_path / "rsyslog.conf").write_text(config)
    daemon = subprocess.Popen([rsyslogd, "-n", "-f", str(tmp_path / "rsyslog.conf"), "-i", str(tmp_path / "rsyslog.pid")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "log.sock").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        yield tmp_path / "log.sock"
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_rsyslog_ships_what_logger_writes_through_the_bulk_api(logs_node, tmp_path):
    """rsyslog's omelasticsearch, with the API key as its Basic password, posts `_bulk` batches."""
    base = logs_node.base
    write_key, read_key = keys(base)
    with rsyslog(tmp_path, RSYSLOG_CONFIG.format(work=tmp_path, port=logs_node.port, key=write_key)) as socket_path:
        marker = uuid.uuid4().hex[:10]
        for n in range(5):
            subprocess.run(["logger", "-u", str(socket_path), "-t", "billing", f"invoice {n} sent {marker}"], check=True)
        found = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(found) < 5:
            result = query_range(base, read_key, f'{{index="syslog", program="billing"}} |= "{marker}"', direction="forward").json()
            found = [value[1] for stream in result["data"]["result"] for value in stream["values"]]
            time.sleep(0.3)
        errors = (tmp_path / "errors.json").read_text() if (tmp_path / "errors.json").exists() else ""
        assert found == [f"invoice {n} sent {marker}" for n in range(5)], errors


def test_elastics_own_python_client_reads_the_version_and_ships_through_helpers_bulk(logs_node):
    """The `elasticsearch` client checks the root document and the product header, as Filebeat,
    Fluentd and Vector read the version, then sends `_bulk` batches under the root's path."""
    from elasticsearch import Elasticsearch, helpers

    base = logs_node.base
    write_key, read_key = keys(base)
    client = Elasticsearch(base + "/elasticsearch", basic_auth=("shipper", write_key), request_timeout=10)
    assert client.info()["version"]["number"].split(".")[0] in ("8", "9")
    marker = uuid.uuid4().hex[:10]
    documents = [{"_index": "checkout", "_source": {"@timestamp": "now", "message": f"order {n} paid {marker}", "host": "web-1"}} for n in range(3)]
    # "now" is not a time Elasticsearch would take either: the item is refused, the rest kept.
    documents[1]["_source"]["@timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    documents[2]["_source"]["@timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ok, errors = helpers.bulk(client, documents, raise_on_error=False)
    assert ok == 2 and len(errors) == 1 and errors[0]["index"]["status"] == 400, errors
    with pytest.raises(Exception) as refused:
        Elasticsearch(base + "/elasticsearch", basic_auth=("shipper", "wrong"), request_timeout=10).info()
    assert "401" in str(refused.value) or "security_exception" in str(refused.value)
    found = query_range(base, read_key, f'{{index="checkout"}} |= "{marker}"', direction="forward").json()
    assert sorted(value[1] for stream in found["data"]["result"] for value in stream["values"]) == [f"order {n} paid {marker}" for n in (1, 2)]


def test_a_live_tail_shows_history_then_what_a_shipper_pushes(logs_node):
    """Loki's tail as logcli and Grafana open it: a WebSocket with the key in Authorization."""
    base = logs_node.base
    write_key, read_key = keys(base)
    ship(base, write_key, "tailed", [(logging.INFO, "before the tail")])

    async def tail():
        url = base.replace("http://", "ws://") + "/loki/api/v1/tail?limit=10&delay_for=0&query=" + quote('{app="tailed"} != "noise"')
        async with websockets.connect(url, additional_headers={"Authorization": "Bearer " + read_key}) as socket:
            history = json.loads(await asyncio.wait_for(socket.recv(), 10))
            await asyncio.to_thread(ship, base, write_key, "tailed", [(logging.WARNING, "noise"), (logging.ERROR, "after the tail")])
            live = json.loads(await asyncio.wait_for(socket.recv(), 10))
            return history, live

    history, live = asyncio.run(tail())
    assert [value[1] for stream in history["streams"] for value in stream["values"]] == ["before the tail"]
    assert "dropped_entries" in history
    assert [(stream["stream"]["severity"], value[1]) for stream in live["streams"] for value in stream["values"]] == [("error", "after the tail")]
    assert all(int(value[0]) > 0 for stream in live["streams"] for value in stream["values"])

    # Without credentials the upgrade is answered, then closed with 4401.
    async def anonymous():
        url = base.replace("http://", "ws://") + "/loki/api/v1/tail?query=" + quote('{app="tailed"}')
        async with websockets.connect(url) as socket:
            try:
                await asyncio.wait_for(socket.recv(), 10)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code
    assert asyncio.run(anonymous()) == 4401


def test_an_alert_fires_a_signed_webhook_once_its_window_holds_the_threshold(engine_env):
    """An alert rule over shipped lines fires `logs.alert.fired`, delivered to the tenant's
    webhook endpoint and verified with the Standard Webhooks library."""
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.rfile.read(int(self.headers.get("content-length", 0))), {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    node = Node({**engine_env, "APUS_ADMIN_EMAIL": "logs@example.com", "APUS_ADMIN_PASSWORD": "logs password",
                 "APUS_LOGS_ALERT_EVERY": "1", "APUS_EGRESS_ALLOW": "127.0.0.1"}, [])
    try:
        token = requests.post(node.base + "/v1/auth/login", json={"email": "logs@example.com", "password": "logs password"}, timeout=10).json()["access_token"]
        auth = {"Authorization": "Bearer " + token}
        endpoint = requests.post(node.base + "/v1/webhooks/endpoints", headers=auth, timeout=10,
                                 json={"url": f"http://127.0.0.1:{server.server_address[1]}/hook", "event_types": ["logs.alert.fired"]})
        assert endpoint.status_code == 201, endpoint.text
        rule = requests.post(node.base + "/v1/logs/alerts", headers=auth, timeout=10,
                             json={"name": "payments failing", "query": '{app="billing"} |= "declined"', "window": "1m", "threshold": 3})
        assert rule.status_code == 201, rule.text
        write_key, _ = keys(node.base)
        ship(node.base, write_key, "billing", [(logging.ERROR, f"card {n} declined") for n in range(2)] + [(logging.INFO, "card paid")])
        time.sleep(2.5)
        assert received == [], "two lines of three fired the alert"
        ship(node.base, write_key, "billing", [(logging.ERROR, "card 9 declined")])
        deadline = time.monotonic() + 20
        while not received and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(received) == 1, received
        event = Webhook(endpoint.json()["secret"]).verify(*received[0])
        assert event["type"] == "logs.alert.fired"
        assert event["data"]["id"] == rule.json()["id"] and event["data"]["count"] == 3 and event["data"]["threshold"] == 3
        listed = requests.get(node.base + "/v1/logs/alerts/" + rule.json()["id"], headers=auth, timeout=10).json()
        assert listed["last_fired_at"] is not None
    finally:
        node.stop()
        server.shutdown()


def test_apus_logs_export_writes_ndjson_of_what_a_selector_picks(logs_node, engine_env, tmp_path):
    """`apus logs export` beside the running node: NDJSON on standard output or into a file."""
    base = logs_node.base
    write_key, _ = keys(base)
    ship(base, write_key, "exported", [(logging.INFO, f"record {n}") for n in range(5)] + [(logging.ERROR, "record failed")])
    done = run_apus(["logs", "export", "--selector", '{app="exported"} != "failed"'], engine_env)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [record["line"] for record in records] == [f"record {n}" for n in range(5)]
    assert all(record["labels"]["app"] == "exported" and int(record["timestamp"]) > 0 and record["time"].endswith("Z") for record in records)
    target = tmp_path / "out.ndjson"
    assert run_apus(["logs", "export", "--selector", '{app="exported"}', "--output", str(target)], engine_env).returncode == 0
    assert len(target.read_text().splitlines()) == 6
    refused = run_apus(["logs", "export", "--selector", '{app="exported"'], engine_env)
    assert refused.returncode != 0 and "--selector" in refused.stderr


def loki_push_classes():
    """Loki's push.proto (`logproto.PushRequest`) built with Google's protobuf library from its
    descriptor, as protoc would generate it, so the bytes are protobuf's own encoding."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    proto = descriptor_pb2.FileDescriptorProto(name="push.proto", package="logproto", syntax="proto3", dependency=["google/protobuf/timestamp.proto"])
    field = descriptor_pb2.FieldDescriptorProto
    def message(name, *fields):
        described = proto.message_type.add(name=name)
        for number, (field_name, kind, label, type_name) in enumerate(fields, start=1):
            described.field.add(name=field_name, number=number, type=kind, label=label, type_name=type_name)
    optional, repeated = field.LABEL_OPTIONAL, field.LABEL_REPEATED
    message("PushRequest", ("streams", field.TYPE_MESSAGE, repeated, ".logproto.StreamAdapter"))
    message("StreamAdapter", ("labels", field.TYPE_STRING, optional, None), ("entries", field.TYPE_MESSAGE, repeated, ".logproto.EntryAdapter"), ("hash", field.TYPE_UINT64, optional, None))
    message("LabelPairAdapter", ("name", field.TYPE_STRING, optional, None), ("value", field.TYPE_STRING, optional, None))
    message("EntryAdapter", ("timestamp", field.TYPE_MESSAGE, optional, ".google.protobuf.Timestamp"), ("line", field.TYPE_STRING, optional, None),
            ("structuredMetadata", field.TYPE_MESSAGE, repeated, ".logproto.LabelPairAdapter"))
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("logproto.PushRequest"))


def test_a_protobuf_push_compressed_with_snappy_is_read_as_promtail_sends_it(logs_node):
    """What promtail and Grafana Alloy send: a PushRequest in a snappy block, application/x-protobuf."""
    import cramjam

    base = logs_node.base
    write_key, read_key = keys(base)
    PushRequest = loki_push_classes()
    now = time.time_ns()
    request = PushRequest()
    for level, count in (("info", 50), ("error", 2)):
        stream = request.streams.add(labels=f'{{job="varlogs", level="{level}", filename="/var/log/app.log"}}')
        for n in range(count):
            entry = stream.entries.add(line=f"{level} line {n}")
            entry.timestamp.FromNanoseconds(now - 10_000_000_000 + n * 1_000)
            entry.structuredMetadata.add(name="trace_id", value=f"{n:032x}")
    body = bytes(cramjam.snappy.compress_raw(request.SerializeToString()))
    pushed = requests.post(base + "/loki/api/v1/push", data=body, headers={"Content-Type": "application/x-protobuf", "Authorization": "Bearer " + write_key}, timeout=10)
    assert pushed.status_code == 204, pushed.text

    found = query_range(base, read_key, '{job="varlogs", level="error"}', direction="forward").json()
    assert [value[1] for stream in found["data"]["result"] for value in stream["values"]] == ["error line 0", "error line 1"]
    assert found["data"]["result"][0]["stream"] == {"job": "varlogs", "level": "error", "filename": "/var/log/app.log"}
    counted = query_range(base, read_key, 'sum(count_over_time({job="varlogs"}[1h]))', step="3600").json()
    assert counted["data"]["result"][0]["values"][-1][1] == "52"

    # The same bytes without snappy are no push: a 400 saying so, nothing stored.
    raw = requests.post(base + "/loki/api/v1/push", data=request.SerializeToString(), headers={"Content-Type": "application/x-protobuf", "Authorization": "Bearer " + write_key}, timeout=10)
    assert raw.status_code == 400 and "snappy" in raw.text


@pytest.fixture
def syslog_node(engine_env):
    port = free_port()
    started = Node({**engine_env, "APUS_ADMIN_EMAIL": "logs@example.com", "APUS_ADMIN_PASSWORD": "logs password", "APUS_LOGS_SYSLOG_PORT": str(port)}, [])
    started.syslog_port = port
    yield started
    started.stop()


def syslog_lines(base: str, query: str, count: int) -> list[tuple[dict, str]]:
    """The syslog tenant's lines that `query` finds (read as the admin), once there are `count`."""
    token = requests.post(base + "/v1/auth/login", json={"email": "logs@example.com", "password": "logs password"}, timeout=10).json()["access_token"]
    headers = {"Authorization": "Bearer " + token, "X-Scope-OrgID": "syslog"}
    found = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = requests.get(base + "/loki/api/v1/query_range", params={"query": query, "direction": "forward"}, headers=headers, timeout=10)
        assert result.status_code == 200, result.text
        found = [(stream["stream"], value[1]) for stream in result.json()["data"]["result"] for value in stream["values"]]
        if len(found) >= count:
            break
        time.sleep(0.2)
    return found


def test_logger_ships_over_tcp_in_both_formats_and_both_framings(syslog_node):
    """util-linux's logger: RFC 5424 octet-counted, RFC 5424 and RFC 3164 one a line."""
    marker = uuid.uuid4().hex[:10]
    remote = ["logger", "--tcp", "-n", "127.0.0.1", "-P", str(syslog_node.syslog_port)]
    subprocess.run([*remote, "--rfc5424", "--octet-count", "-t", "billing", "-p", "local0.info",
                    "--sd-id", "origin@32473", "--sd-param", 'ip="10.1.1.1"', f"invoice paid {marker}"], check=True)
    subprocess.run([*remote, "--rfc5424", "-t", "nginx", "-p", "local0.err", f"GET /x 502 {marker}"], check=True)
    subprocess.run([*remote, "--rfc3164", "-t", "cron", "-p", "cron.notice", f"job ran {marker}"], check=True)

    found = syslog_lines(syslog_node.base, f'{{job="syslog"}} |= "{marker}"', 3)
    by_app = {labels["app"]: (labels, line) for labels, line in found}
    assert sorted(by_app) == ["billing", "cron", "nginx"], found
    assert by_app["billing"][1] == f"invoice paid {marker}"
    assert by_app["nginx"][0]["level"] == "err" and by_app["nginx"][0]["facility"] == "local0"
    assert by_app["cron"] == ({**by_app["cron"][0], "facility": "cron", "level": "notice"}, f"job ran {marker}")
    assert by_app["cron"][0]["host"] == by_app["billing"][0]["host"] != ""
    # Nobody's own tenant holds them: a user's query without X-Scope-OrgID finds nothing.
    token = requests.post(syslog_node.base + "/v1/auth/login", json={"email": "logs@example.com", "password": "logs password"}, timeout=10).json()["access_token"]
    own = requests.get(syslog_node.base + "/loki/api/v1/query_range", params={"query": '{job="syslog"}'}, headers={"Authorization": "Bearer " + token}, timeout=10)
    assert own.status_code == 200 and own.json()["data"]["result"] == []


RSYSLOG_FORWARD = """
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{work}/log.sock" CreatePath="on")
action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" template="{template}" TCP_Framing="{framing}")
"""


@pytest.mark.parametrize("template,framing", [("RSYSLOG_SyslogProtocol23Format", "octet-counted"), ("RSYSLOG_ForwardFormat", "traditional")])
def test_rsyslog_forwards_over_tcp(syslog_node, tmp_path, template, framing):
    """rsyslog's omfwd, as a server forwards its logs: RFC 5424 octet-counted, or its BSD-style
    forwarding format (an RFC 3339 time) one a line."""
    config = RSYSLOG_FORWARD.format(work=tmp_path, port=syslog_node.syslog_port, template=template, framing=framing)
    with rsyslog(tmp_path, config) as socket_path:
        marker = uuid.uuid4().hex[:10]
        for n in range(20):
            subprocess.run(["logger", "-u", str(socket_path), "-t", "backup", "-p", "daemon.warning", f"volume {n} copied {marker}"], check=True)
        found = syslog_lines(syslog_node.base, f'{{app="backup"}} |= "{marker}"', 20)
        assert [line for _, line in found] == [f"volume {n} copied {marker}" for n in range(20)]
        assert {(labels["facility"], labels["level"]) for labels, _ in found} == {("daemon", "warning")}


def test_a_request_with_a_traceparent_is_followed_through_the_nodes_own_lines(engine_env):
    node = Node({**engine_env, "APUS_ADMIN_EMAIL": "logs@example.com", "APUS_ADMIN_PASSWORD": "logs password", "APUS_LOGS_SELF": "on"}, [])
    try:
        base = node.base
        admin = requests.post(base + "/v1/auth/login", json={"email": "logs@example.com", "password": "logs password"}, timeout=10).json()["access_token"]
        email = f"trace-{uuid.uuid4().hex[:6]}@example.com"
        requests.post(base + "/v1/auth/register", json={"email": email, "password": "correct horse"}, timeout=10)
        refresh = requests.post(base + "/v1/auth/login", json={"email": email, "password": "correct horse"}, timeout=10).json()["refresh_token"]
        trace = uuid.uuid4().hex
        assert requests.post(base + "/v1/auth/refresh", json={"refresh_token": refresh}, timeout=10).status_code == 200
        # The stolen token's second use: refused, and logged with the request's trace.
        reused = requests.post(base + "/v1/auth/refresh", json={"refresh_token": refresh}, headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}, timeout=10)
        assert reused.status_code == 401
        lines = []
        deadline = time.monotonic() + 15
        while not lines and time.monotonic() < deadline:
            lines = requests.get(base + f"/v1/logs/trace/{trace}", headers={"Authorization": "Bearer " + admin}, timeout=10).json()["lines"]
            time.sleep(0.3)
        assert lines and lines[0]["line"].startswith("refresh token reused"), lines
        assert lines[0]["labels"]["app"] == "apus" and lines[0]["metadata"]["trace_id"] == trace
    finally:
        node.stop()
