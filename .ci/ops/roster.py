"""Starting a `roster` server for the shell-level operations tests, and talking to it.

Standard library only. Each request opens its own connection, so a refused connection is
told apart from a request the server dropped.
"""

import http.client
import json
import os
import socket
import subprocess
import time

API_KEY = "sk_test_ops_0123456789abcdef0123456789abcdef"
CLIENT_ID = "client_ops_test"
ADMIN_EMAIL = "admin@ops.test"
ADMIN_PASSWORD = "ops-admin-password-4417"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `roster serve` child process on a fresh SQLite file in `work`."""

    def __init__(self, binary, work, extra_env=None):
        self.port = free_port()
        self.metrics_port = free_port()
        self.log_path = os.path.join(work, "roster.log")
        self.err_path = os.path.join(work, "roster.err")
        env = dict(os.environ)
        env.update(
            {
                "ROSTER_DATABASE_URL": "sqlite:" + os.path.join(work, "roster.db"),
                "ROSTER_ADDR": f"127.0.0.1:{self.port}",
                "ROSTER_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
                "ROSTER_DEMO_DATA": "false",
                "ROSTER_BOOTSTRAP_EMAIL": ADMIN_EMAIL,
                "ROSTER_BOOTSTRAP_PASSWORD": ADMIN_PASSWORD,
                "ROSTER_BOOTSTRAP_API_KEY": API_KEY,
                "ROSTER_BOOTSTRAP_CLIENT_ID": CLIENT_ID,
                "ROSTER_METRICS_ADDR": f"127.0.0.1:{self.metrics_port}",
            }
        )
        env.update(extra_env or {})
        self.log = open(self.log_path, "wb")
        self.err = open(self.err_path, "wb")
        self.process = subprocess.Popen([binary, "serve"], env=env, stdout=self.log, stderr=self.err)

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"roster exited with {self.process.returncode}:\n{self.read_log()}{self.read_stderr()}")
            try:
                if request(self.port, "GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("roster did not become ready:\n" + self.read_log())

    def read_log(self):
        """Standard output: the log."""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def read_stderr(self):
        """Standard error: the first-start banner, errors before logging starts."""
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def terminate(self, timeout=30):
        """SIGTERM, and the exit code."""
        self.process.terminate()
        return self.process.wait(timeout=timeout)

    def stop(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()
        self.err.close()

    def api(self, method, path, body=None):
        """A REST call with the bootstrap API key: (status, JSON body or None)."""
        status, data = request(self.port, method, path, body, {"Authorization": f"Bearer {API_KEY}"})
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None


def request(port, method, path, body=None, headers=None, timeout=60):
    """One request on a new connection: (status, body bytes). Connection errors raise."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {"Connection": "close"}
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def sign_in(port, email, password):
    """A password grant for the bootstrap client: (status, JSON body)."""
    body = {
        "client_id": CLIENT_ID,
        "client_secret": API_KEY,
        "grant_type": "password",
        "email": email,
        "password": password,
    }
    status, data = request(port, "POST", "/user_management/authenticate", body)
    return status, json.loads(data) if data else None


class Checks:
    """Named pass/fail checks, printed as they are made and summed up at the end."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {what}")
        else:
            self.failed += 1
            print(f"FAIL {what}" + (f": {detail}" if detail else ""))
        return ok

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1
