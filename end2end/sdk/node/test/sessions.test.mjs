// Password sign-in with a sealed session, cookie checks against the JWKS, refresh, session
// list, revocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenericServerException, OauthException } from '@workos-inc/node';
import { clientId, cookiePassword, createOrganization, email, rejection, um } from '../lib/roster.mjs';

test('sealed session: authenticate, refresh, list, revoke, refresh fails with invalid_grant', async () => {
  const org = await createOrganization('Sessions');
  const user = await um.createUser({ email: email('sam'), password: 'correct horse battery', firstName: 'Sam' });
  await um.createOrganizationMembership({ organizationId: org.id, userId: user.id, roleSlug: 'admin' });

  const auth = await um.authenticateWithPassword({
    clientId,
    email: user.email,
    password: 'correct horse battery',
    ipAddress: '203.0.113.7',
    userAgent: 'sdk-tests',
    session: { sealSession: true, cookiePassword },
  });
  assert.equal(auth.user.id, user.id);
  assert.equal(auth.user.firstName, 'Sam');
  assert.equal(auth.organizationId, org.id);
  assert.equal(auth.authenticationMethod, 'Password');
  assert.ok(auth.accessToken && auth.refreshToken);
  assert.match(auth.sealedSession, /^Fe26\.2\*/);

  const checked = await um.authenticateWithSessionCookie({ sessionData: auth.sealedSession, cookiePassword });
  assert.equal(checked.authenticated, true, JSON.stringify(checked));
  assert.match(checked.sessionId, /^session_/);
  assert.equal(checked.organizationId, org.id);
  assert.equal(checked.role, 'admin');
  assert.deepEqual(checked.roles, ['admin']);
  assert.ok(checked.permissions.includes('members:manage'), checked.permissions.join());
  assert.equal(checked.user.id, user.id);

  const session = um.loadSealedSession({ sessionData: auth.sealedSession, cookiePassword });
  const viaSession = await session.authenticate();
  assert.equal(viaSession.authenticated, true);
  assert.equal(viaSession.sessionId, checked.sessionId);

  const refreshed = await session.refresh();
  assert.equal(refreshed.authenticated, true, JSON.stringify(refreshed));
  assert.ok(refreshed.sealedSession && refreshed.sealedSession !== auth.sealedSession);
  assert.equal(refreshed.sessionId, checked.sessionId, 'a refresh continues the same session');
  assert.equal(refreshed.organizationId, org.id);
  assert.equal(refreshed.role, 'admin');
  const afterRefresh = await um.authenticateWithSessionCookie({ sessionData: refreshed.sealedSession, cookiePassword });
  assert.equal(afterRefresh.authenticated, true);

  const sessions = await um.listSessions(user.id);
  const listed = sessions.data.find((s) => s.id === checked.sessionId);
  assert.ok(listed, 'the session is listed');
  assert.equal(listed.object, 'session');
  assert.equal(listed.userId, user.id);
  assert.equal(listed.status, 'active');
  assert.equal(listed.authMethod, 'password');
  assert.equal(listed.organizationId, org.id);
  assert.equal(listed.ipAddress, '203.0.113.7');
  assert.equal(listed.userAgent, 'sdk-tests');
  assert.equal(listed.endedAt, null);

  await um.revokeSession({ sessionId: checked.sessionId });
  const revoked = (await um.listSessions(user.id)).data.find((s) => s.id === checked.sessionId);
  assert.equal(revoked.status, 'revoked');
  assert.ok(revoked.endedAt);

  const after = await um.loadSealedSession({ sessionData: refreshed.sealedSession, cookiePassword }).refresh();
  assert.equal(after.authenticated, false);
  assert.equal(after.reason, 'invalid_grant');
});

test('refresh tokens work once; a foreign organization is refused', async () => {
  const home = await createOrganization('Home');
  const away = await createOrganization('Away');
  const user = await um.createUser({ email: email('rita'), password: 'correct horse battery' });
  await um.createOrganizationMembership({ organizationId: home.id, userId: user.id });
  const auth = await um.authenticateWithPassword({ clientId, email: user.email, password: 'correct horse battery' });

  const refreshed = await um.authenticateWithRefreshToken({ clientId, refreshToken: auth.refreshToken, organizationId: home.id });
  assert.equal(refreshed.user.id, user.id);
  assert.equal(refreshed.organizationId, home.id);
  assert.notEqual(refreshed.refreshToken, auth.refreshToken);

  const reused = await rejection(um.authenticateWithRefreshToken({ clientId, refreshToken: auth.refreshToken }));
  assert.ok(reused instanceof OauthException, `${reused}`);
  assert.equal(reused.status, 400);
  assert.equal(reused.error, 'invalid_grant');

  const foreign = await rejection(
    um.authenticateWithRefreshToken({ clientId, refreshToken: refreshed.refreshToken, organizationId: away.id }),
  );
  assert.ok(foreign instanceof OauthException, `${foreign}`);
  assert.equal(foreign.error, 'invalid_grant');
});

test('a wrong password is a 400 invalid_credentials', async () => {
  const user = await um.createUser({ email: email('wrong'), password: 'correct horse battery' });
  const error = await rejection(um.authenticateWithPassword({ clientId, email: user.email, password: 'nope nope nope' }));
  assert.ok(error instanceof GenericServerException, `${error}`);
  assert.equal(error.status, 400);
  assert.equal(error.rawData.code, 'invalid_credentials');
  const unknown = await rejection(
    um.authenticateWithPassword({ clientId, email: email('nobody'), password: 'correct horse battery' }),
  );
  assert.equal(unknown.status, 400, 'an unknown email looks like a wrong password');
});

test('listSessions of an unknown user is 404; revoking an unknown session is a 4xx', async () => {
  assert.equal((await rejection(um.listSessions('user_01H5JQDV7R7ATEYZDEG0W5PRYS'))).status, 404);
  const revoke = await rejection(um.revokeSession({ sessionId: 'session_01H5JQDV7R7ATEYZDEG0W5PRYS' }));
  assert.ok(revoke.status >= 400 && revoke.status < 500, `${revoke}`);
});
