#!/usr/bin/env python3
"""A write load against Roster's REST API that logs every acknowledged write, and a checker
that finds each of them in a store (after a crash, or in a backup) and checks that nothing in
the store is half-applied. Used by crash-test.sh and backup-test.sh; the standard library only.

  durability.py load --base http://127.0.0.1:PORT --key sk_… --client-id client_… --log acks.jsonl
      Runs until SIGTERM/SIGINT or --seconds; every acknowledged write is one JSON line
      ({"t": client time of the answer, "kind": …, …}), flushed at once.
  durability.py check --db sqlite:/path | postgres://… --log acks.jsonl [--acked-before T]
      [--base URL --key …]  Prints one line per failed check and `N passed, M failed`.
"""

import argparse
import base64
import hashlib
import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request


# ---------------------------------------------------------------------------------------------
# The load


class Api:
    def __init__(self, base, key):
        self.base = base.rstrip("/")
        self.key = key

    def call(self, method, path, body=None):
        """Returns (status, json) or raises OSError when the server is unreachable."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw)
            except ValueError:
                return error.code, raw.decode(errors="replace")


class Log:
    """The acknowledged writes, one flushed JSON line each, written as the answers arrive."""

    def __init__(self, path):
        self.file = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def ack(self, kind, **fields):
        line = json.dumps({"t": time.time(), "kind": kind, **fields})
        with self.lock:
            self.file.write(line + "\n")
            self.file.flush()


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


PASSWORD = "durability-Password-1234"


def worker(number, api, log, client_id, stop, shared, errors):
    rng = random.Random(number)
    run = shared["run"]
    mine = []  # users this worker created: {"id", "email", "password", "sign_ins", "orgs"}
    serial = 0

    def create_user():
        nonlocal serial
        serial += 1
        email = f"w{number}-{serial}-{run}@durability.test"
        body = {"email": email, "first_name": f"First{serial}", "last_name": f"Last{number}",
                "email_verified": True}
        with_password = rng.random() < 0.5
        if with_password:
            body["password"] = PASSWORD
        status, user = api.call("POST", "/user_management/users", body)
        if status != 201 and status != 200:
            return errors.append(f"create user: {status} {user}")
        log.ack("user.created", id=user["id"], email=email, first_name=body["first_name"],
                last_name=body["last_name"], password=with_password)
        mine.append({"id": user["id"], "email": email, "password": with_password, "sign_ins": 0,
                     "orgs": set()})

    def update_user():
        nonlocal serial
        if not mine:
            return create_user()
        user = rng.choice(mine)
        serial += 1
        state = {"first_name": f"Renamed{serial}", "last_name": f"Changed{number}-{serial}"}
        # Written before the request: the one update that may be in flight at the crash.
        log.ack("user.update_sent", id=user["id"], **state)
        status, body = api.call("PUT", f"/user_management/users/{user['id']}", state)
        if status != 200:
            return errors.append(f"update user: {status} {body}")
        log.ack("user.updated", id=user["id"], **state)

    def create_organization():
        nonlocal serial
        serial += 1
        name = f"Org w{number}-{serial}"
        external_id = f"ext-w{number}-{serial}-{run}"
        status, org = api.call("POST", "/organizations", {"name": name, "external_id": external_id})
        if status not in (200, 201):
            return errors.append(f"create organization: {status} {org}")
        log.ack("organization.created", id=org["id"], name=name, external_id=external_id)
        with shared["lock"]:
            shared["orgs"].append(org["id"])

    def create_membership():
        with shared["lock"]:
            orgs = list(shared["orgs"])
        candidates = [(u, o) for u in mine for o in orgs if o not in u["orgs"]]
        if not candidates:
            return create_organization() if len(orgs) < 3 else create_user()
        user, org = rng.choice(candidates)
        user["orgs"].add(org)
        role = rng.choice(["member", "admin"])
        status, membership = api.call("POST", "/user_management/organization_memberships",
                                      {"user_id": user["id"], "organization_id": org, "role_slug": role})
        if status not in (200, 201):
            return errors.append(f"create membership: {status} {membership}")
        log.ack("membership.created", id=membership["id"], user_id=user["id"], organization_id=org, role=role)

    def send_invitation():
        nonlocal serial
        with shared["lock"]:
            orgs = list(shared["orgs"])
        if not orgs:
            return create_organization()
        serial += 1
        email = f"invitee-w{number}-{serial}-{run}@durability.test"
        org = rng.choice(orgs)
        status, invitation = api.call("POST", "/user_management/invitations",
                                      {"email": email, "organization_id": org})
        if status not in (200, 201):
            return errors.append(f"send invitation: {status} {invitation}")
        log.ack("invitation.created", id=invitation["id"], email=email, organization_id=org,
                token=invitation["token"])

    def sign_in():
        # The per-email limit allows 10 attempts a minute; stay well under it.
        # A member of several organizations would be asked to pick one; sign in the others.
        ready = [u for u in mine if u["password"] and u["sign_ins"] < 3 and len(u["orgs"]) <= 1]
        if not ready:
            return create_user()
        user = rng.choice(ready)
        user["sign_ins"] += 1
        status, body = api.call("POST", "/user_management/authenticate", {
            "grant_type": "password", "client_id": client_id, "client_secret": api.key,
            "email": user["email"], "password": PASSWORD})
        if status != 200:
            return errors.append(f"sign in: {status} {body}")
        claims = jwt_claims(body["access_token"])
        log.ack("session.created", user_id=user["id"], session_id=claims["sid"],
                refresh_token_hash=hashlib.sha256(body["refresh_token"].encode()).hexdigest())

    operations = [(create_user, 3), (update_user, 3), (create_organization, 1), (create_membership, 3),
                  (send_invitation, 2), (sign_in, 2)]
    choices = [op for op, weight in operations for _ in range(weight)]
    while not stop.is_set():
        try:
            rng.choice(choices)()
        except (OSError, ValueError, KeyError) as error:
            # The server went away (the crash), or answered half a response. A reset or a
            # closed connection is a request the crash cut off; a refusal came after it.
            cause = getattr(error, "reason", error)
            name = type(cause).__name__
            with shared["lock"]:
                shared["failures"][name] = shared["failures"].get(name, 0) + 1
            time.sleep(0.05)


def load(args):
    api = Api(args.base, args.key)
    log = Log(args.log)
    stop = threading.Event()
    shared = {"lock": threading.Lock(), "orgs": [], "run": f"{int(time.time() * 1000):x}", "failures": {}}
    errors = []
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=worker, args=(n, api, log, args.client_id, stop, shared, errors), daemon=True)
               for n in range(args.threads)]
    for thread in threads:
        thread.start()
    deadline = time.time() + args.seconds
    while not stop.is_set() and time.time() < deadline:
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    for error in errors[:10]:
        print(f"refused: {error}", file=sys.stderr)
    # A refused write is a bug in the load or the server, not a lost write: report, do not fail.
    print(f"load: {len(errors)} writes refused; requests that failed, by cause: {shared['failures']}",
          file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# The checks


class Store:
    def __init__(self, url):
        self.url = url
        if url.startswith("sqlite:"):
            path = url[len("sqlite:"):].removeprefix("//").split("?")[0]
            self.sqlite = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            self.sqlite.row_factory = sqlite3.Row
        else:
            self.sqlite = None

    def rows(self, sql):
        if self.sqlite is not None:
            return [dict(row) for row in self.sqlite.execute(sql)]
        out = subprocess.run(["psql", self.url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c",
                              f"SELECT coalesce(json_agg(t), '[]') FROM ({sql}) t"],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            if self.failed <= 40:
                print(f"FAILED: {what}")


def check(args):
    store = Store(args.db)
    checks = Checks()
    entries = [json.loads(line) for line in open(args.log) if line.strip()]
    acked = [e for e in entries if args.acked_before is None or e["t"] < args.acked_before]
    print(f"{len(acked)} acknowledged writes to find (of {len(entries)} logged)")

    users = {r["id"]: r for r in store.rows("SELECT id, email, first_name, last_name FROM users")}
    orgs = {r["id"]: r for r in store.rows("SELECT id, name, external_id FROM organizations")}
    memberships = {r["id"]: r for r in store.rows("SELECT id, user_id, organization_id FROM memberships")}
    roles = {}
    for r in store.rows("SELECT membership_id, role_slug FROM membership_roles"):
        roles.setdefault(r["membership_id"], set()).add(r["role_slug"])
    invitations = {r["id"]: r for r in store.rows(
        "SELECT id, email, organization_id, token, state FROM invitations")}
    sessions = {r["id"]: r for r in store.rows("SELECT id, user_id FROM sessions")}
    refresh = {r["token_hash"]: r for r in store.rows("SELECT token_hash, session_id FROM refresh_tokens")}
    outbox = store.rows("SELECT recipient, body FROM outbox")
    events = {}
    for r in store.rows("SELECT event, data FROM events"):
        data = json.loads(r["data"]) if isinstance(r["data"], str) else r["data"]
        events.setdefault(r["event"], []).append(data)
    by_id = {name: {} for name in events}
    for name, items in events.items():
        for data in items:
            key = data.get("id") or data.get("user_id")
            by_id[name].setdefault(key, []).append(data)

    def event(name, key):
        return by_id.get(name, {}).get(key, [])

    mail_for = {}
    for message in outbox:
        mail_for.setdefault(message["recipient"], []).append(message["body"])

    # Every acknowledged write is there, with the state acknowledged.
    for e in acked:
        kind = e["kind"]
        if kind == "user.created":
            user = users.get(e["id"])
            checks.check(user is not None and user["email"] == e["email"], f"acknowledged user {e['id']} is there")
            checks.check(len(event("user.created", e["id"])) == 1, f"user {e['id']} has one user.created event")
        elif kind == "user.updated":
            found = [d for d in event("user.updated", e["id"])
                     if d.get("first_name") == e["first_name"] and d.get("last_name") == e["last_name"]]
            checks.check(bool(found), f"acknowledged update of {e['id']} to {e['first_name']} has its event")
        elif kind == "organization.created":
            org = orgs.get(e["id"])
            checks.check(org is not None and org["name"] == e["name"] and org["external_id"] == e["external_id"],
                         f"acknowledged organization {e['id']} is there")
            checks.check(bool(event("organization.created", e["id"])), f"organization {e['id']} has its event")
        elif kind == "membership.created":
            m = memberships.get(e["id"])
            checks.check(m is not None and m["user_id"] == e["user_id"] and m["organization_id"] == e["organization_id"]
                         and roles.get(e["id"]) == {e["role"]}, f"acknowledged membership {e['id']} is there")
            checks.check(bool(event("organization_membership.created", e["id"])),
                         f"membership {e['id']} has its event")
        elif kind == "invitation.created":
            inv = invitations.get(e["id"])
            checks.check(inv is not None and inv["email"] == e["email"] and inv["token"] == e["token"]
                         and inv["organization_id"] == e["organization_id"],
                         f"acknowledged invitation {e['id']} is there")
            checks.check(any(e["token"] in body for body in mail_for.get(e["email"], [])),
                         f"invitation {e['id']} has its email in the outbox")
        elif kind == "session.created":
            s = sessions.get(e["session_id"])
            checks.check(s is not None and s["user_id"] == e["user_id"],
                         f"acknowledged sign-in session {e['session_id']} is there")
            token = refresh.get(e["refresh_token_hash"])
            checks.check(token is not None and token["session_id"] == e["session_id"],
                         f"session {e['session_id']} has its refresh token")
            checks.check(bool(event("session.created", e["session_id"])),
                         f"session {e['session_id']} has its session.created event")

    # Each user's final name is its last update acknowledged (before the backup), or one sent
    # after it: the update in flight when the server died, or (in a backup) any later one.
    # Never an older name, never a mix of two updates.
    cutoff = float("inf") if args.acked_before is None else args.acked_before
    created = {e["id"]: (e["first_name"], e["last_name"]) for e in entries if e["kind"] == "user.created"}
    history = {}
    for e in entries:
        if e["kind"] in ("user.update_sent", "user.updated"):
            history.setdefault(e["id"], []).append(e)
    for user_id, items in history.items():
        user = users.get(user_id)
        if user is None or user_id not in created:
            continue
        acked_updates = [i for i, e in enumerate(items) if e["kind"] == "user.updated" and e["t"] < cutoff]
        if acked_updates:
            last = acked_updates[-1]
            allowed = [(items[last]["first_name"], items[last]["last_name"])]
        else:
            last = -1
            allowed = [created[user_id]]
        allowed += [(e["first_name"], e["last_name"]) for e in items[last + 1:] if e["kind"] == "user.update_sent"]
        state = (user["first_name"], user["last_name"])
        checks.check(state in allowed,
                     f"user {user_id} has its last acknowledged name (has {state}, allowed {allowed})")

    # Nothing is half-applied: every row has the event written in its transaction, and
    # every reference points at a row.
    checks.check(all(len(event("user.created", u)) == 1 for u in users),
                 f"every user has exactly one user.created event "
                 f"({[u for u in users if len(event('user.created', u)) != 1][:5]})")
    checks.check(all(d["id"] in users for d in events.get("user.created", [])),
                 "every user.created event has its user")
    checks.check(all(event("organization.created", o) for o in orgs),
                 "every organization has its organization.created event")
    checks.check(all(d["id"] in orgs for d in events.get("organization.created", [])),
                 "every organization.created event has its organization")
    checks.check(all(m["user_id"] in users and m["organization_id"] in orgs for m in memberships.values()),
                 "every membership points at an existing user and organization")
    checks.check(all(roles.get(m) for m in memberships), "every membership has its role")
    checks.check(all(event("organization_membership.created", m) for m in memberships),
                 "every membership has its organization_membership.created event")
    checks.check(all(d["id"] in memberships for d in events.get("organization_membership.created", [])),
                 "every organization_membership.created event has its membership")
    checks.check(all(i["organization_id"] is None or i["organization_id"] in orgs for i in invitations.values()),
                 "every invitation points at an existing organization")
    checks.check(all(event("invitation.created", i) for i in invitations),
                 "every invitation has its invitation.created event")
    checks.check(all(any(i["token"] in body for body in mail_for.get(i["email"], [])) for i in invitations.values()),
                 "every invitation has its email in the outbox")
    checks.check(all(s["user_id"] in users for s in sessions.values()), "every session points at an existing user")
    checks.check(all(event("session.created", s) for s in sessions), "every session has its session.created event")
    checks.check(all(t["session_id"] in sessions for t in refresh.values()),
                 "every refresh token points at an existing session")
    signed_in = {}
    for s in sessions.values():
        signed_in[s["user_id"]] = signed_in.get(s["user_id"], 0) + 1
    succeeded = {u: len(items) for u, items in by_id.get("authentication.password_succeeded", {}).items()}
    checks.check(succeeded == signed_in,
                 "every session has its authentication.password_succeeded event, and every such event its session")
    if store.sqlite is not None:
        checks.check([r[0] for r in store.sqlite.execute("PRAGMA integrity_check")] == ["ok"],
                     "the SQLite file passes its integrity check")
        checks.check(not list(store.sqlite.execute("PRAGMA foreign_key_check")), "no foreign key is dangling")

    # The server started on the store serves what was acknowledged, and takes new writes.
    if args.base:
        api = Api(args.base, args.key)
        sample = [e for e in acked if e["kind"] == "user.created"][-20:]
        for e in sample:
            status, body = api.call("GET", f"/user_management/users/{e['id']}")
            checks.check(status == 200 and body.get("email") == e["email"],
                         f"the restarted server serves user {e['id']} ({status})")
        status, body = api.call("POST", "/user_management/users",
                                {"email": f"after-{int(time.time() * 1000)}@durability.test"})
        checks.check(status in (200, 201), f"the restarted server takes a new user ({status} {body})")

    print(f"{args.label}{checks.passed} passed, {checks.failed} failed")
    return 0 if checks.failed == 0 else 1


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load")
    p.add_argument("--base", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60)
    c = sub.add_parser("check")
    c.add_argument("--db", required=True)
    c.add_argument("--log", required=True)
    c.add_argument("--acked-before", type=float)
    c.add_argument("--base")
    c.add_argument("--key")
    c.add_argument("--label", default="", help="what the final line starts with, e.g. `crash (sqlite): `")
    args = parser.parse_args()
    if args.command == "load":
        load(args)
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
