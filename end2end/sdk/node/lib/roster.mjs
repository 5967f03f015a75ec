// Shared setup for the SDK suites: the official WorkOS Node SDK, unmodified, pointed at a
// running Roster. .ci/sdk-tests.sh starts the server and passes
//   ROSTER_PORT, ROSTER_API_KEY, ROSTER_CLIENT_ID  how to reach it,
//   ROSTER_DB_URL                                  its database (read only, for the outbox),
//   ROSTER_BIN                                     the `roster` binary (to mint org-scoped keys).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { WorkOS } from '@workos-inc/node';

const env = (name) => process.env[name] ?? assert.fail(`${name} is not set; run the suites through .ci/sdk-tests.sh`);

export const port = Number(env('ROSTER_PORT'));
export const apiKey = env('ROSTER_API_KEY');
export const clientId = env('ROSTER_CLIENT_ID');
export const options = { apiHostname: '127.0.0.1', port, https: false, clientId };
export const workos = new WorkOS(apiKey, options);
export const um = workos.userManagement;
export const cookiePassword = 'a-cookie-password-of-at-least-32-characters';

/** A client for another key, e.g. an organization-scoped one. */
export const client = (key) => new WorkOS(key, options);

// Every file runs in its own process at the same time as the others, against one server:
// names carry the file's tag and a run stamp so that nothing collides.
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
export const unique = (name) => `${name}-${run}`;
export const email = (name) => `${name}.${run}@sdk.test`;
export const domain = (name) => `${name}-${run}.sdk.test`;

export const createOrganization = (name, extra = {}) =>
  workos.organizations.createOrganization({ name: `${name} ${run}`, ...extra });

/** Resolves with the error a promise rejects with (fails when it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

/** Runs `fn` over `items`, `width` at a time. */
export async function inBatches(items, width, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += width) {
    out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  }
  return out;
}

/** One value from the server's database (SQLite or PostgreSQL), read-only. */
function queryOne(sql) {
  const url = env('ROSTER_DB_URL');
  if (url.startsWith('postgres')) {
    return execFileSync('psql', [url, '-tAc', sql], { encoding: 'utf8' }).trim();
  }
  const path = url.replace(/^sqlite:(\/\/)?/, '').replace(/\?.*$/, '');
  try {
    return execFileSync('sqlite3', ['-readonly', path, sql], { encoding: 'utf8' }).trim();
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
    // No sqlite3 CLI: Python's sqlite3 module does the same.
    const script = 'import sqlite3,sys\nrow=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro",uri=True).execute(sys.argv[2]).fetchone()\nprint(row[0] if row else "")';
    return execFileSync('python3', ['-c', script, path, sql], { encoding: 'utf8' }).trim();
  }
}

/** The body of the newest message queued for a recipient (Roster's outbox stands in for email). */
export function latestMessageTo(recipient) {
  const quoted = recipient.replace(/'/g, "''");
  return queryOne(`SELECT body FROM outbox WHERE recipient = '${quoted}' ORDER BY created_at DESC, id DESC LIMIT 1`);
}

/** Mints an API key limited to one organization with `roster api-key create`; returns its secret. */
export function organizationKey(organizationId) {
  const out = execFileSync(
    env('ROSTER_BIN'),
    ['--database-url', env('ROSTER_DB_URL'), 'api-key', 'create', '--name', `sdk ${run}`, '--organization', organizationId],
    { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'error' } },
  );
  const secret = out.match(/API key\s+(sk_\S+)/)?.[1];
  assert.ok(secret, `no key in: ${out}`);
  return secret;
}

// TOTP codes (RFC 6238: SHA-1, 30-second steps, six digits), computed with node:crypto.

/** Decodes RFC 4648 base32 (no padding needed). */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    assert.ok(value >= 0, `not base32: ${text}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The six-digit code of a base32 secret, `offset` 30-second steps from now. */
export function totp(secret, now, offset = 0) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30) + offset));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

/** Now in Unix seconds, out of the last seconds of a step so the server agrees on the step. */
export async function settledNow() {
  for (;;) {
    const now = Math.floor(Date.now() / 1000);
    if (now % 30 < 26) return now;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

// Fixtures: password hashes made by other systems, with their plaintexts.
// bcrypt ($2b$, cost 4) and Argon2id / Argon2i at parameters other than Roster's own,
// generated with Python's `bcrypt` and `argon2-cffi`.
export const IMPORTED = {
  bcrypt: {
    hash: '$2b$04$8Pf1jZbPjsJUu6/NcY.pmuQzzYAHpQ.zHwXDACu/wvGnO60q7zupG',
    password: 'bcrypt imported secret',
  },
  argon2id: {
    hash: '$argon2id$v=19$m=8192,t=1,p=1$eP0GGF+v6AJ7dHnYIo5vvQ$FaAg4WjRd/WjpPqjgWURPGgx+qZ8yv7++Zb9YE9x1Sw',
    password: 'argon2 imported secret',
  },
  argon2i: {
    hash: '$argon2i$v=19$m=4096,t=2,p=1$+ogPeZFlI41m6V7DKrbciQ$nv7w7T5nvHdfUJQxC7QEXDhqsiHubCu1KfYKyIYKMZk',
    password: 'argon2i imported secret',
  },
};
