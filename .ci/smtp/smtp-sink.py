"""A real SMTP server for the email tests (aiosmtpd), which keeps what it receives.

Each accepted message is written to OUT_DIR as `<n>.json`: the envelope, the decoded headers,
the raw header lines and the body of each text part, read with Python's own email parser so
the tests check what a mail client would see. Prints `ready` once it accepts connections
and serves until it is terminated.

While OUT_DIR/reply exists, every message is refused with the SMTP reply it holds
(e.g. `451 4.3.0 Try again later`), so a test can make the server fail and recover.

    python smtp-sink.py --port 2525 --out DIR [--user U --password P]
                        [--tls-cert C --tls-key K [--implicit-tls]]
"""

import argparse
import email
import email.policy
import json
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Keeper:
    """Writes each message as JSON, or refuses it while a reply file exists."""

    def __init__(self, out):
        self.out = out
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        reply_file = os.path.join(self.out, "reply")
        if os.path.exists(reply_file):
            with open(reply_file, encoding="utf-8") as f:
                return f.read().strip()
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        raw_headers = envelope.original_content.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        kept = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": session.authenticated,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "content_type": message.get_content_type(),
            "headers": {name.lower(): str(value) for name, value in message.items()},
            "raw_headers": raw_headers,
            "parts": parts,
        }
        with self.lock:
            self.count += 1
            name = f"{self.count:05d}.json"
        tmp = os.path.join(self.out, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(kept, f)
        os.rename(tmp, os.path.join(self.out, name))
        return "250 2.0.0 Message accepted"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--implicit-tls", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    options = {}
    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.implicit_tls:
            options["ssl_context"] = context
        else:
            options["server_kwargs"] = {"tls_context": context, "require_starttls": True}
    if args.user:

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == args.user
                and auth_data.password.decode() == args.password
            )
            return AuthResult(success=ok)

        smtp_options = options.setdefault("server_kwargs", {})
        # aiosmtpd counts only STARTTLS as encryption for AUTH; an implicit-TLS connection is
        # encrypted from its first byte.
        require_tls = context is not None and not args.implicit_tls
        smtp_options.update(authenticator=authenticate, auth_required=True, auth_require_tls=require_tls)

    server_kwargs = options.pop("server_kwargs", {})
    controller = Controller(Keeper(args.out), hostname="127.0.0.1", port=args.port, **options, **server_kwargs)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
