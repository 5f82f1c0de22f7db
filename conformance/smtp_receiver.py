#!/usr/bin/env python3
"""A small SMTP server that stores every message it accepts, for testing SMTP clients.

    python receiver.py --port P --out DIR [--host H]
                       [--tls-cert C --tls-key K [--implicit-tls]]
                       [--auth user:pass [--auth-mechanisms PLAIN,LOGIN]]
                       [--reject-rcpt ADDR[=CODE TEXT]] ...

Each accepted message is written to DIR as NNNN.eml (the content exactly as received, after
dot-unstuffing) with NNNN.json beside it: envelope sender, recipients, whether the session was
encrypted, the authenticated user and the EHLO name. NNNN counts from 0001 in arrival order.

With --tls-cert/--tls-key the server offers STARTTLS and requires it before MAIL; with
--implicit-tls as well it speaks TLS from the first byte instead (smtps). With --auth, AUTH
is required before MAIL; it is allowed without TLS unless STARTTLS is offered, so clients
can be tested either way.
--reject-rcpt answers RCPT TO for an address with a failure (default "550 5.1.1 No such user").

Prints "ready <port>" on stdout once it listens, and runs until SIGINT or SIGTERM.
"""

import argparse
import json
import logging
import signal
import warnings
import ssl
import sys
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class SavingHandler:
    """Accepts mail and writes it, with its envelope, to a folder."""

    def __init__(self, out: Path, rejections: dict[str, str]):
        self.out = out
        self.rejections = rejections
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        rejection = self.rejections.get(address.lower())
        if rejection:
            return rejection
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            stem = self.out / f"{self.count:04d}"
        content = envelope.original_content or envelope.content
        stem.with_suffix(".eml").write_bytes(content)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": _text(session.auth_data.login) if session.authenticated else None,
            "ehlo": session.host_name,
        }
        stem.with_suffix(".json").write_text(json.dumps(meta, indent=2))
        return "250 2.0.0 Message accepted"


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def make_authenticator(user: str, password: str):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8") == user
            and auth_data.password.decode("utf-8") == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticate


def parse_rejection(spec: str) -> tuple[str, str]:
    address, _, reply = spec.partition("=")
    return address.lower(), reply or "550 5.1.1 No such user"


def main() -> int:
    # AUTH without TLS is deliberate here: it is what clients are tested against.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--auth", help="user:pass; AUTH becomes required")
    parser.add_argument("--auth-mechanisms", default="PLAIN,LOGIN", help="comma-separated, of PLAIN and LOGIN")
    parser.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDR[=REPLY]")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    handler = SavingHandler(args.out, dict(parse_rejection(spec) for spec in args.reject_rcpt))

    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)

    # aiosmtpd also logs the AUTH-without-TLS choice; it is deliberate here.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    server_kwargs = {}
    if args.auth:
        user, _, password = args.auth.partition(":")
        offered = {m.strip().upper() for m in args.auth_mechanisms.split(",") if m.strip()}
        server_kwargs.update(
            authenticator=make_authenticator(user, password),
            auth_required=True,
            # Over STARTTLS credentials wait for encryption, as real servers insist.
            auth_require_tls=bool(tls_context and not args.implicit_tls),
            auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m not in offered],
        )
    controller_kwargs = {}
    if tls_context and args.implicit_tls:
        controller_kwargs["ssl_context"] = tls_context
    elif tls_context:
        server_kwargs.update(tls_context=tls_context, require_starttls=True)

    controller = Controller(
        handler,
        hostname=args.host,
        port=args.port,
        decode_data=False,
        server_kwargs=server_kwargs,
        **controller_kwargs,
    )
    controller.start()
    print(f"ready {args.port}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
