// Two `roster` replicas on one PostgreSQL database behind nginx: nothing that must be
// shared lives in one process's memory. Started by .ci/replicas-test.sh, which passes the
// balancer's and each replica's port, the API key and the admin's credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkOS, RateLimitExceededException } from '@workos-inc/node';

const env = (name) => process.env[name] ?? assert.fail(`${name} is not set`);
const [balancer, portA, portB] = ['BALANCER_PORT', 'REPLICA_A_PORT', 'REPLICA_B_PORT'].map((n) => Number(env(n)));
const key = env('ROSTER_API_KEY');
const clientId = env('ROSTER_CLIENT_ID');
const client = (port) => new WorkOS(key, { apiHostname: '127.0.0.1', port, https: false, clientId });
const [onA, onB] = [client(portA), client(portB)];
const run = Date.now().toString(36);
const cookiePassword = 'a-cookie-password-of-at-least-32-characters';

test('a dashboard session works whichever replica answers', async () => {
  const base = `http://127.0.0.1:${balancer}`;
  const login = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { Origin: base, Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: env('ADMIN_EMAIL'), password: env('ADMIN_PASSWORD') }),
  });
  assert.equal(login.status, 200);
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const replicas = new Set();
  for (let i = 0; i < 6; i += 1) {
    const response = await fetch(`${base}/api/viewer`, {
      method: 'POST',
      headers: { Origin: base, Accept: 'application/json', 'Content-Type': 'application/json', Cookie: cookie },
      body: '{}',
    });
    assert.equal(response.status, 200);
    replicas.add(response.headers.get('x-upstream'));
    assert.equal((await response.json()).user.email, env('ADMIN_EMAIL'));
  }
  assert.equal(replicas.size, 2, `requests landed on ${[...replicas]}`);
});

test("an access token minted by A verifies with B's JWKS", async () => {
  const org = await onA.organizations.createOrganization({ name: `Replicas ${run}` });
  const user = await onA.userManagement.createUser({ email: `tok.${run}@replicas.test`, password: 'correct horse battery' });
  await onA.userManagement.createOrganizationMembership({ organizationId: org.id, userId: user.id, roleSlug: 'admin' });
  const auth = await onA.userManagement.authenticateWithPassword({ clientId, email: user.email, password: 'correct horse battery', session: { sealSession: true, cookiePassword } });
  const checked = await onB.userManagement.authenticateWithSessionCookie({ sessionData: auth.sealedSession, cookiePassword });
  assert.equal(checked.authenticated, true);
  assert.equal(checked.organizationId, org.id);
  // And the refresh token, issued by A, is redeemed by B.
  const refreshed = await onB.userManagement.loadSealedSession({ sessionData: auth.sealedSession, cookiePassword }).refresh();
  assert.equal(refreshed.authenticated, true);
});

test('an invitation created on A is resent on B', async () => {
  const org = await onA.organizations.createOrganization({ name: `Invites ${run}` });
  const sent = await onA.userManagement.sendInvitation({ email: `inv.${run}@replicas.test`, organizationId: org.id });
  const resent = await onB.userManagement.resendInvitation(sent.id);
  assert.equal(resent.id, sent.id);
  assert.notEqual(resent.token, sent.token);
});

test('the password rate limit counts attempts on both replicas', async () => {
  const user = await onA.userManagement.createUser({ email: `limit.${run}@replicas.test`, password: 'correct horse battery' });
  for (let i = 0; i < 10; i += 1) {
    const replica = i % 2 === 0 ? onA : onB;
    await assert.rejects(replica.userManagement.authenticateWithPassword({ clientId, email: user.email, password: 'wrong password' }));
  }
  for (const replica of [onA, onB]) {
    await assert.rejects(replica.userManagement.authenticateWithPassword({ clientId, email: user.email, password: 'correct horse battery' }), RateLimitExceededException);
  }
});

test("an Idempotency-Key replayed on B returns A's response", async () => {
  const request = { name: `Idempotent ${run}` };
  const first = await onA.organizations.createOrganization(request, { idempotencyKey: `replicas-${run}` });
  const replay = await onB.organizations.createOrganization(request, { idempotencyKey: `replicas-${run}` });
  assert.equal(replay.id, first.id);
  const all = await onB.organizations.listOrganizations({ limit: 100 });
  assert.equal(all.data.filter((o) => o.name === request.name).length, 1);
});
