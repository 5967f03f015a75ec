"""Shared setup: the official WorkOS Python SDK, unmodified, against a running Roster.

.ci/sdk-tests.sh starts the server and passes ROSTER_PORT, ROSTER_API_KEY, ROSTER_CLIENT_ID
and ROSTER_DB_URL (the server's database, read only here to fetch a code from the outbox).
The SDK is pointed at Roster with WorkOSClient(base_url=...), its documented option.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import time

import pytest
from workos import WorkOSClient

RUN = format(int(time.time() * 1000), "x") + secrets.token_hex(2)

# Password hashes made by other systems (Python's bcrypt and argon2-cffi), with plaintexts.
BCRYPT_HASH = "$2b$04$8Pf1jZbPjsJUu6/NcY.pmuQzzYAHpQ.zHwXDACu/wvGnO60q7zupG"
BCRYPT_PASSWORD = "bcrypt imported secret"
ARGON2ID_HASH = "$argon2id$v=19$m=8192,t=1,p=1$eP0GGF+v6AJ7dHnYIo5vvQ$FaAg4WjRd/WjpPqjgWURPGgx+qZ8yv7++Zb9YE9x1Sw"
ARGON2ID_PASSWORD = "argon2 imported secret"

MISSING_USER = "user_01H5JQDV7R7ATEYZDEG0W5PRYS"
MISSING_ORG = "org_01H5JQDV7R7ATEYZDEG0W5PRYS"


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set; run the suites through .ci/sdk-tests.sh", returncode=2)
    return value


def email(name: str) -> str:
    return f"{name}.{RUN}@py.test"


def unique(name: str) -> str:
    return f"{name}-{RUN}"


def domain(name: str) -> str:
    return f"{name}-{RUN}.py.test"


def make_client(api_key: str | None = None) -> WorkOSClient:
    return WorkOSClient(
        api_key=api_key or env("ROSTER_API_KEY"),
        client_id=env("ROSTER_CLIENT_ID"),
        base_url=f"http://127.0.0.1:{env('ROSTER_PORT')}/",
        # Retries would only slow down the error cases (429 in particular).
        max_retries=0,
    )


def latest_message_to(recipient: str) -> str:
    """The newest outbox message to a recipient, read from the server's database."""
    url = env("ROSTER_DB_URL")
    query = (
        "SELECT body FROM outbox WHERE recipient = '%s' ORDER BY created_at DESC, id DESC LIMIT 1"
        % recipient.replace("'", "''")
    )
    if url.startswith("postgres"):
        return subprocess.run(["psql", url, "-tAc", query], check=True, capture_output=True, text=True).stdout.strip()
    path = url.removeprefix("sqlite:").removeprefix("//").split("?")[0]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        row = db.execute(query).fetchone()
    return row[0] if row else ""


@pytest.fixture(scope="session")
def workos() -> WorkOSClient:
    return make_client()
