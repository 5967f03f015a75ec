#!/usr/bin/env python3
"""Writes a `roster import` file of N users with bcrypt hashes (default 1,000,000).

Usage: python3 server/benches/import_users.py [N] > users.jsonl

bcrypt is slow by design, so the file reuses eight distinct cost-10 hashes (made once with
Python's `bcrypt` package and pasted here); the import verifies and rehashes none of them
either way. Every fourth user has no external ID; names, metadata and verification vary.
"""

import json
import sys

# bcrypt.hashpw(b"benchmark password N", bcrypt.gensalt(10)) for N = 0..7.
HASHES = [
    "$2b$10$3Ldn5lK8/w.9FA3dMYP5JOzVpIV/Qnrzi8r072fkiQWOVREpfy3RW",
    "$2b$10$ZX2UijVZhPKNgd5oaiy4FOgATcCSrABX80SzmXmtzkzl.B42uFnUy",
    "$2b$10$fJtx/418VhjZx8zMqSkAJebXtLrZyh0cAJwdT5TucD27XK2CBNacG",
    "$2b$10$XlHY48g1rSfcQrfFu7tHl.oZwwwz4wyQV1XBgxoe.7F8x5c7mPU3u",
    "$2b$10$ZUky3WWPYDSNx/2Y9Ut3COYgHNVNKh.IXduKga4qlpcHyp/FX27UW",
    "$2b$10$6QYr2DcyQOYKpdFHakdWIe3MLFtxE2uYQlVg4LOrt..kwK27WXUNK",
    "$2b$10$W9lqn1UmqKr4veRHg4XouuA4Ql1y9j874013PqdWca9/PG./3GTmy",
    "$2b$10$V1IFRTVUz6LzrdZSU5LZf.qUysQveHkH5JCfawQAaipOsVBRrVGqW",
]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    out = sys.stdout
    for n in range(count):
        line = {
            "type": "user",
            "id": f"user_01JB{n:022d}",
            "email": f"user{n}@bench.example",
            "email_verified": n % 2 == 0,
            "first_name": f"First{n % 1000}",
            "last_name": f"Last{n}",
            "external_id": None if n % 4 == 0 else f"legacy-{n}",
            "metadata": {"cohort": str(n % 12)},
            "password_hash": HASHES[n % len(HASHES)],
            "password_hash_type": "bcrypt",
            "created_at": "2024-05-01T12:00:00.000Z",
        }
        out.write(json.dumps(line, separators=(",", ":")))
        out.write("\n")


if __name__ == "__main__":
    main()
