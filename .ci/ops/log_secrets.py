"""Secrets never reach the log: a server logging everything (`RUST_LOG=debug`) in JSON runs
flows that carry secrets, then its whole log is searched for each secret it saw.

Flows: the admin's password sign-in to the dashboard (and its session cookie), REST calls
with the API key, a user created with a password, the password grant and its tokens, the
refresh-token grant, a magic-auth code and its grant, a password reset token (in the reset
page's query and in the confirm call) and the new password, an invitation token (in the
accept page's query and in the by-token route's path), and a TOTP factor's secret. The log
must also be JSON lines whose request lines carry the request ID the client was answered.
"""

import argparse
import http.client
import json
import sys
import tempfile
import urllib.parse

from roster import ADMIN_EMAIL, ADMIN_PASSWORD, API_KEY, CLIENT_ID, Checks, Server


def call(port, method, path, body=None, headers=None, form=None):
    """One request: (status, headers, body text)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    all_headers = {"Connection": "close"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    if form is not None:
        payload = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    all_headers.update(headers or {})
    connection.request(method, path, body=payload, headers=all_headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, response.headers, text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    checks = Checks("log-secrets")
    with tempfile.TemporaryDirectory() as work:
        env = {"RUST_LOG": "debug", "ROSTER_LOG_FORMAT": "json"}
        server = Server(args.bin, work, env)
        try:
            run(server, checks)
        finally:
            server.stop()
    return checks.finish()


def run(server, checks):
    server.wait_ready()
    port = server.port
    key = {"Authorization": f"Bearer {API_KEY}"}
    secrets = {"API key": API_KEY, "admin password": ADMIN_PASSWORD}
    request_ids = []

    def api(method, path, body=None, expect=(200, 201)):
        status, headers, text = call(port, method, path, body, key)
        request_ids.append(headers.get("x-request-id"))
        if status not in expect:
            raise RuntimeError(f"{method} {path}: {status} {text}")
        return json.loads(text) if text else None

    def authenticate(body, expect=200):
        body = {"client_id": CLIENT_ID, "client_secret": API_KEY, **body}
        status, _, text = call(port, "POST", "/user_management/authenticate", body)
        if status != expect:
            raise RuntimeError(f"authenticate {body.get('grant_type')}: {status} {text}")
        return json.loads(text)

    # The dashboard: the admin signs in with a password; the session cookie is a secret.
    origin = {"Origin": f"http://127.0.0.1:{port}", "Accept": "application/json"}
    status, headers, text = call(
        port, "POST", "/api/login", headers=origin, form={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    checks.check(status == 200, "the admin signs in to the dashboard", f"{status} {text[:200]}")
    for cookie in headers.get_all("set-cookie") or []:
        value = cookie.split(";", 1)[0].split("=", 1)[-1]
        if len(value) >= 16:
            secrets["session cookie"] = value

    # A user with a password, signed in through the API; the tokens and the refresh.
    password = "user-password-Quetzal-5521"
    secrets["user password"] = password
    user = api("POST", "/user_management/users", {"email": "secrets@ops.test", "password": password})
    organization = api("POST", "/organizations", {"name": "Secrets Inc"})
    api("POST", "/user_management/organization_memberships", {"user_id": user["id"], "organization_id": organization["id"]})
    signed_in = authenticate({"grant_type": "password", "email": user["email"], "password": password})
    secrets["access token"] = signed_in["access_token"]
    secrets["refresh token"] = signed_in["refresh_token"]
    refreshed = authenticate({"grant_type": "refresh_token", "refresh_token": signed_in["refresh_token"]})
    secrets["refreshed access token"] = refreshed["access_token"]
    secrets["refreshed refresh token"] = refreshed["refresh_token"]
    # A wrong password is a secret too (it may be someone's real one, mistyped).
    wrong = "wrong-password-Marimba-7730"
    secrets["wrong password"] = wrong
    authenticate({"grant_type": "password", "email": user["email"], "password": wrong}, expect=400)

    # A magic-auth code, and signing in with it.
    magic = api("POST", "/user_management/magic_auth", {"email": user["email"]})
    secrets["magic-auth code"] = magic["code"]
    grant = "urn:workos:oauth:grant-type:magic-auth:code"
    with_code = authenticate({"grant_type": grant, "email": user["email"], "code": magic["code"]})
    secrets["magic-auth refresh token"] = with_code["refresh_token"]

    # A password reset: its link's page, then the confirm call with a new password.
    reset = api("POST", "/user_management/password_reset", {"email": user["email"]})
    token = reset["password_reset_token"]
    secrets["password reset token"] = token
    call(port, "GET", f"/reset-password?token={urllib.parse.quote(token)}")
    new_password = "new-password-Tamarind-3391"
    secrets["new password"] = new_password
    api("POST", "/user_management/password_reset/confirm", {"token": token, "new_password": new_password})

    # An invitation: its token in the accept page's query and in the by-token route's path.
    invitation = api(
        "POST", "/user_management/invitations", {"email": "invitee@ops.test", "organization_id": organization["id"]}
    )
    secrets["invitation token"] = invitation["token"]
    call(port, "GET", f"/invitations/accept?token={urllib.parse.quote(invitation['token'])}")
    api("GET", f"/user_management/invitations/by_token/{urllib.parse.quote(invitation['token'])}")

    # A TOTP factor: its secret.
    factor = api("POST", f"/user_management/users/{user['id']}/auth_factors", {"type": "totp"})
    secrets["TOTP secret"] = factor["authentication_factor"]["totp"]["secret"]

    checks.check(server.terminate() == 0, "the server stops on SIGTERM with exit code 0")
    log = server.read_log()
    lines = [line for line in log.splitlines() if line.strip()]

    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pass
    checks.check(len(parsed) == len(lines), "every log line is JSON", f"{len(lines) - len(parsed)} are not")
    debug = [entry for entry in parsed if entry.get("level") == "DEBUG"]
    checks.check(len(debug) > 50, "the server logged the run at debug level", f"{len(debug)} debug lines")
    statements = [entry for entry in debug if entry.get("target") == "roster::sql"]
    checks.check(len(statements) > 20, "the store's statements are among them", f"{len(statements)} statements")
    logged_ids = {span.get("request_id") for entry in parsed for span in entry.get("spans", [])}
    answered = [rid for rid in request_ids if rid]
    checks.check(
        answered and all(rid in logged_ids for rid in answered),
        "lines logged while handling a request carry its request ID",
        f"{sum(rid not in logged_ids for rid in answered)} of {len(answered)} IDs missing",
    )

    # Standard error too: the first-start banner repeats no configured secret.
    everything = log + server.read_stderr()
    for name, secret in secrets.items():
        checks.check(secret not in everything, f"the output never shows the {name}")
        quoted = urllib.parse.quote(secret, safe="")
        if quoted != secret:
            checks.check(quoted not in everything, f"the output never shows the {name}, URL-encoded")


if __name__ == "__main__":
    sys.exit(main())
