"""SIGTERM under load: `roster serve` drains and exits 0 with no request in flight failing.

Load (password sign-ins, which wait for Argon2; REST writes and reads with an API key; one
write whose body is still arriving when the server stops accepting) runs while the server
gets SIGTERM. The server is started with a pre-drain delay, during which `/readyz` must
answer 503 while requests are still accepted. Every request must then either complete with
the status it gets from a healthy server, or, started once the server stopped accepting, be
refused at connect.
"""

import argparse
import http.client
import itertools
import json
import re
import signal
import sys
import tempfile
import threading
import time

from roster import API_KEY, Checks, Server, request, sign_in

DELAY = 2.0  # --shutdown-delay
GRACE = 30  # --shutdown-grace
LOAD_BEFORE_SIGNAL = 2.5
LOAD_AFTER_STOP = 1.5
USERS = 12
PASSWORD = "load-test-password-8812"

# What a healthy server answers each kind of request.
NORMAL = {
    "sign_in": {200, 429},  # 429: the per-email limit, which a busy load reaches
    "create_organization": {201},
    "create_user": {201},
    "list_users": {200},
    "healthz": {200},
    "slow_write": {201},
}


class Log:
    def __init__(self):
        self.lock = threading.Lock()
        self.records = []  # (kind, start, end, status or None, error or None)

    def add(self, *record):
        with self.lock:
            self.records.append(record)


def timed(log, kind, call):
    start = time.time()
    try:
        status = call()
        log.add(kind, start, time.time(), status, None)
        return status
    except OSError as error:  # refused, reset, timed out
        log.add(kind, start, time.time(), None, type(error).__name__)
        return None
    except http.client.HTTPException as error:  # the server closed without answering
        log.add(kind, start, time.time(), None, type(error).__name__)
        return None


def worker(server, log, stop, kind, make_call):
    counter = itertools.count()
    while not stop.is_set():
        if timed(log, kind, make_call(next(counter))) is None:
            time.sleep(0.05)  # refused: the server is gone; do not spin


def slow_write(server, log, stop_at):
    """A POST whose headers and half its body are sent before the server stops accepting and
    the rest after: an accepted request still arriving must be answered."""
    body = json.dumps({"name": "Slow write organization"}).encode()
    start = time.time()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.putrequest("POST", "/organizations")
        connection.putheader("Authorization", "Bearer " + API_KEY)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(len(body)))
        connection.putheader("Connection", "close")
        connection.endheaders(body[:10])
        time.sleep(max(0.0, stop_at + 0.7 - time.time()))
        connection.send(body[10:])
        response = connection.getresponse()
        response.read()
        log.add("slow_write", start, time.time(), response.status, None)
        connection.close()
    except (OSError, http.client.HTTPException) as error:
        log.add("slow_write", start, time.time(), None, type(error).__name__)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    checks = Checks("shutdown")
    with tempfile.TemporaryDirectory() as work:
        server = Server(
            args.bin,
            work,
            {"ROSTER_SHUTDOWN_DELAY": f"{int(DELAY)}s", "ROSTER_SHUTDOWN_GRACE": f"{GRACE}s", "RUST_LOG": "info"},
        )
        try:
            run(server, checks)
        finally:
            if checks.failed:
                print("--- server log (tail) ---")
                print("\n".join(server.read_log().splitlines()[-40:]))
            server.stop()
    return checks.finish()


def run(server, checks):
    server.wait_ready()
    emails = [f"load{i}@ops.test" for i in range(USERS)]
    for email in emails:
        status, body = server.api("POST", "/user_management/users", {"email": email, "password": PASSWORD})
        if status != 201:
            raise RuntimeError(f"creating {email}: {status} {body}")

    # One sign-in before the load, so the sign-in counter exists by the time it is scraped.
    status, body = sign_in(server.port, emails[0], PASSWORD)
    if status != 200:
        raise RuntimeError(f"signing in: {status} {body}")

    log = Log()
    stop = threading.Event()
    key = {"Authorization": "Bearer " + API_KEY}
    port = server.port

    def signing_in(n):
        return lambda: sign_in(port, emails[n % USERS], PASSWORD)[0]

    def creating_organization(n):
        return lambda: request(port, "POST", "/organizations", {"name": f"Load {time.time_ns()} {n}"}, key)[0]

    def creating_user(n):
        return lambda: request(port, "POST", "/user_management/users", {"email": f"w{time.time_ns()}@ops.test"}, key)[0]

    def listing(n):
        return lambda: request(port, "GET", "/user_management/users?limit=5", None, key)[0]

    def health(n):
        return lambda: request(port, "GET", "/healthz")[0]

    kinds = [("sign_in", signing_in)] * 4 + [
        ("create_organization", creating_organization),
        ("create_organization", creating_organization),
        ("create_user", creating_user),
        ("list_users", listing),
        ("healthz", health),
    ]
    threads = [threading.Thread(target=worker, args=(server, log, stop, kind, make)) for kind, make in kinds]

    readiness = []  # (start, status or None)

    def poll_readiness():
        while not stop.is_set():
            start = time.time()
            try:
                readiness.append((start, request(port, "GET", "/readyz", timeout=5)[0]))
            except (OSError, http.client.HTTPException):
                readiness.append((start, None))
            time.sleep(0.05)

    threads.append(threading.Thread(target=poll_readiness))
    for thread in threads:
        thread.start()

    time.sleep(LOAD_BEFORE_SIGNAL)
    metrics = request(server.metrics_port, "GET", "/metrics")[1].decode()
    with open(server.log_path + ".metrics", "w") as f:
        f.write(metrics)
    signalled = time.time()
    server.process.send_signal(signal.SIGTERM)
    stops_accepting = signalled + DELAY
    slow = threading.Thread(target=slow_write, args=(server, log, stops_accepting))
    time.sleep(max(0.0, stops_accepting - 0.8 - time.time()))
    slow.start()
    time.sleep(max(0.0, stops_accepting + LOAD_AFTER_STOP - time.time()))
    stop.set()
    for thread in threads + [slow]:
        thread.join(timeout=90)
    try:
        code = server.process.wait(timeout=GRACE + 30)
    except Exception:
        code = None
    ended = time.time()
    output = server.read_log()

    checks.check(code == 0, "roster exits 0 after SIGTERM", f"exit code {code}")
    checks.check(ended - signalled < DELAY + GRACE, "it exits within the delay and the grace period")
    checks.check("stopped cleanly" in output, "it logs a clean stop", "no 'stopped cleanly' in its log")

    before = [status for start, status in readiness if start < signalled - 0.1]
    draining = [status for start, status in readiness if signalled + 0.1 < start < stops_accepting - 0.1]
    checks.check(before and all(status == 200 for status in before), "/readyz answers 200 before the signal", before[-5:])
    checks.check(
        draining and all(status == 503 for status in draining),
        "/readyz answers 503 during the drain",
        f"{len(draining)} answers: {sorted(set(map(str, draining)))}",
    )

    # Every request started before the server stopped accepting (less a margin for the clock
    # of this script) completes with its normal status; later ones may also be refused.
    margin = 0.2
    bad = []
    for kind, start, end, status, error in log.records:
        if status is not None:
            if status not in NORMAL[kind]:
                bad.append((kind, round(start - signalled, 3), status))
        elif start < stops_accepting - margin:
            bad.append((kind, round(start - signalled, 3), error))
        elif error not in ("ConnectionRefusedError", "ConnectionResetError", "RemoteDisconnected", "BrokenPipeError"):
            bad.append((kind, round(start - signalled, 3), error))
    checks.check(not bad, f"none of {len(log.records)} requests failed", bad[:10])

    answered = [r for r in log.records if r[3] is not None]
    across = [r for r in answered if r[1] < stops_accepting < r[2]]
    during = [r for r in answered if signalled < r[1] < stops_accepting]
    signed_in = [r for r in answered if r[0] == "sign_in" and r[3] == 200]
    checks.check(len(during) > 0, "requests are still accepted during the delay", f"{len(during)}")
    checks.check(len(across) > 0, "requests in flight when it stopped accepting completed", f"{len(across)}")
    checks.check(
        any(r[0] == "slow_write" and r[3] == 201 for r in log.records),
        "a request whose body was still arriving when it stopped accepting completed",
        [r for r in log.records if r[0] == "slow_write"],
    )
    checks.check(len(signed_in) > 0, "password sign-ins succeeded under load", f"{len(signed_in)}")
    refused = [r for r in log.records if r[3] is None]
    print(f"     ({len(answered)} answered, {len(across)} across the stop, {len(refused)} refused after it)")

    for name in [
        "roster_http_requests_total",
        "roster_http_request_duration_seconds_bucket",
        'roster_sign_ins_total{method="password",outcome="success"}',
        "roster_store_connections",
        "roster_outbox_messages",
        "roster_build_info",
    ]:
        checks.check(name in metrics, f"/metrics reports {name}")
    raw = re.findall(r'route="[^"]*_[0-9A-Z]{26}[^"]*"', metrics)
    checks.check(not raw, "/metrics labels routes by template, never by an address with an ID", raw[:3])


if __name__ == "__main__":
    sys.exit(main())
