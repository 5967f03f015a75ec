// The official WorkOS Node SDK, unmodified, against a running Roster.
// Started by .ci/sdk-tests.sh, which passes ROSTER_PORT, ROSTER_API_KEY, ROSTER_CLIENT_ID
// and the bootstrap admin's credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkOS, NotFoundException, UnauthorizedException, UnprocessableEntityException, RateLimitExceededException } from '@workos-inc/node';

const port = Number(process.env.ROSTER_PORT);
const key = process.env.ROSTER_API_KEY;
const clientId = process.env.ROSTER_CLIENT_ID;
const options = { apiHostname: '127.0.0.1', port, https: false, clientId };
const workos = new WorkOS(key, options);
const um = workos.userManagement;
const run = Date.now().toString(36);
const email = (name) => `${name}.${run}@sdk.test`;
const cookiePassword = 'a-cookie-password-of-at-least-32-characters';

// A bcrypt hash of "imported password" (cost 4), as another system would have stored it.
const BCRYPT = '$2b$04$JPCV4dRqH.zNAzUa7YR8wem3HrdtPEeepVbWwii8iTkP57jRj6VDS';

async function organization(name) {
  return workos.organizations.createOrganization({ name: `${name} ${run}` });
}

test('users: create, read, find by external id, update, list, delete', async () => {
  const created = await um.createUser({ email: email('ada'), password: 'correct horse battery', firstName: 'Ada', lastName: 'Lovelace', externalId: `ext-${run}`, metadata: { team: 'core', tier: 'gold' } });
  assert.equal(created.object, 'user');
  assert.equal(created.email, email('ada'));
  assert.deepEqual(created.metadata, { team: 'core', tier: 'gold' });
  assert.equal((await um.getUser(created.id)).id, created.id);
  assert.equal((await um.getUserByExternalId(`ext-${run}`)).id, created.id);

  const updated = await um.updateUser({ userId: created.id, firstName: 'Augusta', metadata: { team: null } });
  assert.equal(updated.firstName, 'Augusta');
  assert.deepEqual(updated.metadata, { tier: 'gold' });

  const listed = await um.listUsers({ email: email('ada') });
  assert.deepEqual(listed.data.map((u) => u.id), [created.id]);

  await um.deleteUser(created.id);
  await assert.rejects(um.getUser(created.id), NotFoundException);
});

test('users with imported bcrypt hashes can sign in', async () => {
  const user = await um.createUser({ email: email('imported'), passwordHash: BCRYPT, passwordHashType: 'bcrypt' });
  const auth = await um.authenticateWithPassword({ clientId, email: user.email, password: 'imported password' });
  assert.equal(auth.user.id, user.id);
});

test('organizations: idempotent create, domains filter, external id, update, roles, delete', async () => {
  const request = { name: `Acme ${run}`, domainData: [{ domain: `acme-${run}.test`, state: 'verified' }], externalId: `org-${run}`, metadata: { plan: 'pro' } };
  const first = await workos.organizations.createOrganization(request, { idempotencyKey: `idem-${run}` });
  const again = await workos.organizations.createOrganization(request, { idempotencyKey: `idem-${run}` });
  assert.equal(again.id, first.id);
  assert.equal(first.domains[0].domain, `acme-${run}.test`);
  const byDomain = await workos.organizations.listOrganizations({ domains: [`acme-${run}.test`] });
  assert.deepEqual(byDomain.data.map((o) => o.id), [first.id]);
  assert.equal((await workos.organizations.getOrganizationByExternalId(`org-${run}`)).id, first.id);

  const renamed = await workos.organizations.updateOrganization({ organization: first.id, name: `Acme Two ${run}`, metadata: { plan: 'team' } });
  assert.equal(renamed.name, `Acme Two ${run}`);
  assert.deepEqual(renamed.metadata, { plan: 'team' });

  const roles = await workos.organizations.listOrganizationRoles({ organizationId: first.id });
  assert.deepEqual(roles.data.map((r) => r.slug), ['owner', 'admin', 'member']);
  if (workos.authorization?.listOrganizationRoles) {
    const same = await workos.authorization.listOrganizationRoles(first.id);
    assert.deepEqual(same.data.map((r) => r.slug), ['owner', 'admin', 'member']);
  }

  await workos.organizations.deleteOrganization(first.id);
  await assert.rejects(workos.organizations.getOrganization(first.id), NotFoundException);
});

test('auto-pagination sees every user exactly once', async () => {
  const org = await organization('Paging');
  const ids = new Set();
  for (let i = 0; i < 120; i += 1) {
    const user = await um.createUser({ email: email(`page${i}`) });
    await um.createOrganizationMembership({ organizationId: org.id, userId: user.id });
    ids.add(user.id);
  }
  // In SDK v8, autoPagination() follows `after` to the end and resolves to every item.
  const seen = (await (await um.listUsers({ organizationId: org.id })).autoPagination()).map((user) => user.id);
  assert.equal(seen.length, 120);
  assert.equal(new Set(seen).size, 120);
  assert.deepEqual(new Set(seen), ids);
});

test('membership lifecycle and role change', async () => {
  const org = await organization('Members');
  const owner = await um.createUser({ email: email('owner') });
  await um.createOrganizationMembership({ organizationId: org.id, userId: owner.id, roleSlug: 'owner' });
  const user = await um.createUser({ email: email('mia') });
  const membership = await um.createOrganizationMembership({ organizationId: org.id, userId: user.id });
  assert.equal(membership.status, 'active');
  assert.equal(membership.role.slug, 'member');
  assert.equal((await um.getOrganizationMembership(membership.id)).id, membership.id);

  const promoted = await um.updateOrganizationMembership(membership.id, { roleSlug: 'admin' });
  assert.equal(promoted.role.slug, 'admin');

  const inactive = await um.deactivateOrganizationMembership(membership.id);
  assert.equal(inactive.status, 'inactive');
  const activeOnly = await um.listOrganizationMemberships({ organizationId: org.id });
  assert.ok(!activeOnly.data.some((m) => m.id === membership.id));
  const both = await um.listOrganizationMemberships({ organizationId: org.id, statuses: ['active', 'inactive'] });
  assert.ok(both.data.some((m) => m.id === membership.id));

  const back = await um.reactivateOrganizationMembership(membership.id);
  assert.equal(back.status, 'active');
  assert.equal(back.role.slug, 'admin');

  await um.deleteOrganizationMembership(membership.id);
  await assert.rejects(um.getOrganizationMembership(membership.id), NotFoundException);
});

test('invitation lifecycle', async () => {
  const org = await organization('Invites');
  const sent = await um.sendInvitation({ email: email('invitee'), organizationId: org.id, roleSlug: 'admin', expiresInDays: 3 });
  assert.equal(sent.state, 'pending');
  assert.equal((await um.getInvitation(sent.id)).id, sent.id);
  assert.equal((await um.findInvitationByToken(sent.token)).id, sent.id);
  const listed = await um.listInvitations({ organizationId: org.id });
  assert.deepEqual(listed.data.map((i) => i.id), [sent.id]);

  const resent = await um.resendInvitation(sent.id);
  assert.notEqual(resent.token, sent.token);
  const revoked = await um.revokeInvitation(sent.id);
  assert.equal(revoked.state, 'revoked');

  const other = await um.sendInvitation({ email: email('joiner'), organizationId: org.id });
  const accepted = await um.acceptInvitation(other.id);
  assert.equal(accepted.state, 'accepted');
  const memberships = await um.listOrganizationMemberships({ organizationId: org.id, userId: accepted.acceptedUserId });
  assert.equal(memberships.data[0].status, 'active');
});

test('password sign-in, sealed session, refresh, revoke', async () => {
  const org = await organization('Sessions');
  const user = await um.createUser({ email: email('sam'), password: 'correct horse battery' });
  await um.createOrganizationMembership({ organizationId: org.id, userId: user.id, roleSlug: 'admin' });

  const auth = await um.authenticateWithPassword({ clientId, email: user.email, password: 'correct horse battery', session: { sealSession: true, cookiePassword } });
  assert.equal(auth.user.id, user.id);
  assert.equal(auth.organizationId, org.id);
  assert.ok(auth.sealedSession);

  const checked = await um.authenticateWithSessionCookie({ sessionData: auth.sealedSession, cookiePassword });
  assert.equal(checked.authenticated, true);
  assert.equal(checked.organizationId, org.id);
  assert.equal(checked.role, 'admin');
  assert.ok(checked.permissions.includes('members:manage'));

  const session = um.loadSealedSession({ sessionData: auth.sealedSession, cookiePassword });
  const refreshed = await session.refresh();
  assert.equal(refreshed.authenticated, true);
  assert.ok(refreshed.sealedSession);

  const sessions = await um.listSessions(user.id);
  assert.ok(sessions.data.some((s) => s.id === checked.sessionId && s.status === 'active'));
  await um.revokeSession({ sessionId: checked.sessionId });
  const after = await um.loadSealedSession({ sessionData: refreshed.sealedSession, cookiePassword }).refresh();
  assert.equal(after.authenticated, false);
  assert.equal(after.reason, 'invalid_grant');
});

test('email verification, password reset and magic auth', async () => {
  const user = await um.createUser({ email: email('codes'), password: 'correct horse battery' });
  const sent = await um.sendVerificationEmail({ userId: user.id });
  assert.equal(sent.user.id, user.id);
  await assert.rejects(um.verifyEmail({ userId: user.id, code: 'wrong' }), UnprocessableEntityException);

  const reset = await um.createPasswordReset({ email: user.email });
  assert.equal(reset.object, 'password_reset');
  assert.equal((await um.getPasswordReset(reset.id)).id, reset.id);
  const done = await um.resetPassword({ token: reset.passwordResetToken, newPassword: 'a new secret phrase' });
  assert.equal(done.user.id, user.id);
  const auth = await um.authenticateWithPassword({ clientId, email: user.email, password: 'a new secret phrase' });
  assert.equal(auth.user.id, user.id);

  const magic = await um.createMagicAuth({ email: user.email });
  assert.match(magic.code, /^\d{6}$/);
  assert.equal((await um.getMagicAuth(magic.id)).code, magic.code);
});

test('errors map to the SDK exception classes', async () => {
  const stranger = new WorkOS('sk_not_a_real_key_but_long_enough_00000', options);
  await assert.rejects(stranger.userManagement.listUsers(), UnauthorizedException);
  await assert.rejects(um.getUser('user_01H5JQDV7R7ATEYZDEG0W5PRYS'), NotFoundException);
  await assert.rejects(um.createUser({ email: 'not-an-email' }), (error) => {
    assert.ok(error instanceof UnprocessableEntityException);
    assert.match(error.message, /email_invalid/);
    return true;
  });
  await um.createUser({ email: email('dup') });
  await assert.rejects(um.createUser({ email: email('dup') }), (error) => error.status === 409);
});

test('password attempts are rate limited per email', async () => {
  const user = await um.createUser({ email: email('limited'), password: 'correct horse battery' });
  for (let i = 0; i < 10; i += 1) {
    await assert.rejects(um.authenticateWithPassword({ clientId, email: user.email, password: 'wrong password' }));
  }
  await assert.rejects(um.authenticateWithPassword({ clientId, email: user.email, password: 'correct horse battery' }), RateLimitExceededException);
});
