"""Mail over an encrypted, authenticated SMTP session: aiosmtpd requires STARTTLS and AUTH and
presents a certificate from a private CA that the node trusts through APUS_SMTP_CA_FILE."""

import datetime
import ipaddress
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import Node, free_port, run_apus
from test_notifications import admin_headers, notify_env, status_of, wait_for

USER, PASSWORD = "mailer", "s3cret pass"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate it signs for localhost: (ca.pem, server.pem, server.key)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name("Apus test CA")).issuer_name(_name("Apus test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


@pytest.fixture
def secure_smtp(tmp_path):
    """An SMTP server that requires STARTTLS before MAIL and AUTH before that."""
    ca, certificate, key = make_certificates(tmp_path)
    out = tmp_path / "mail"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("smtp_receiver.py")), "--port", str(port), "--out", str(out),
         "--tls-cert", str(certificate), "--tls-key", str(key), "--auth", f"{USER}:{PASSWORD}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout.readline().startswith("ready"), "the SMTP receiver did not start"
    yield port, out, ca
    process.terminate()
    process.wait(timeout=10)


def secure_env(engine_env, port: int) -> dict:
    # The receiver is unused: the provider list is the secure server alone.
    return {**notify_env(engine_env, port), "APUS_SMTP_URLS": f"smtp://{USER}:{PASSWORD.replace(' ', '%20')}@localhost:{port}"}


def send_mail(node: Node) -> tuple[dict, str]:
    headers = admin_headers(node.base)
    sent = requests.post(node.base + "/v1/notifications", headers=headers, timeout=5, json={
        "recipient": "grace@example.com", "channel": "email", "subject": "Over TLS", "body": "Sealed.",
        "category": "account",
    })
    assert sent.status_code == 202, sent.text
    return headers, sent.json()["id"]


def test_mail_goes_over_starttls_with_auth_to_a_server_of_a_trusted_private_ca(engine_env, secure_smtp):
    port, out, ca = secure_smtp
    node = Node({**secure_env(engine_env, port), "APUS_SMTP_CA_FILE": str(ca)}, [])
    try:
        headers, notification = send_mail(node)
        delivered = wait_for(lambda: status_of(node.base, headers, notification)["status"] == "delivered")
        assert delivered, status_of(node.base, headers, notification)
        files = sorted(out.glob("*.json"))
        assert len(files) == 1
        session = json.loads(files[0].read_text())
        assert session["tls"] is True
        assert session["auth_user"] == USER
        assert session["rcpt_tos"] == ["grace@example.com"]
        assert b"Sealed." in files[0].with_suffix(".eml").read_bytes()
    finally:
        node.stop()


def test_a_server_whose_certificate_is_not_trusted_gets_no_mail_and_no_password(engine_env, secure_smtp):
    port, out, _ = secure_smtp
    node = Node({**secure_env(engine_env, port), "APUS_JOBS_MAX_ATTEMPTS": "1"}, [])
    try:
        headers, notification = send_mail(node)
        dead = wait_for(lambda: status_of(node.base, headers, notification)["status"] == "dead")
        detail = status_of(node.base, headers, notification)
        assert dead, detail
        assert not list(out.glob("*.eml"))
        error = " ".join(str(attempt.get("error")) for attempt in detail["attempts"]).lower()
        assert "tls" in error or "certificate" in error, detail
        assert PASSWORD not in json.dumps(detail)
    finally:
        node.stop()


def test_an_unreadable_ca_file_stops_the_node_at_start(tmp_path):
    result = run_apus(["serve"], {"APUS_DATA_DIR": str(tmp_path), "APUS_SMTP_CA_FILE": str(tmp_path / "missing.pem")})
    assert result.returncode != 0
    assert "APUS_SMTP_CA_FILE" in result.stderr
    (tmp_path / "empty.pem").write_text("not a certificate\n")
    result = run_apus(["serve"], {"APUS_DATA_DIR": str(tmp_path), "APUS_SMTP_CA_FILE": str(tmp_path / "empty.pem")})
    assert result.returncode != 0
    assert "APUS_SMTP_CA_FILE" in result.stderr
