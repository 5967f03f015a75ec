// Logout as apps do it: `getLogoutUrl` after a password sign-in, opened like a browser would
// (no API key, redirects not followed). The allow-list is set on the dashboard's settings
// page's server function, as a platform admin would.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { OauthException } from '@workos-inc/node';
import { clientId, createOrganization, email, port, rejection, um } from '../lib/roster.mjs';

const base = `http://127.0.0.1:${port}`;
const allowed = 'https://app.example.com/signed-out';
const fallback = 'https://app.example.com/bye';
const password = 'correct horse battery';

before(async () => {
  // The bootstrap admin (a platform admin) signs in to the dashboard and saves the settings.
  const login = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { Origin: base, Accept: 'application/json' },
    body: new URLSearchParams({ email: 'admin@roster.test', password: 'sdk-admin-password' }),
    redirect: 'manual',
  });
  assert.equal(login.status, 200, await login.text());
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const saved = await fetch(`${base}/api/save-environment-settings`, {
    method: 'POST',
    headers: { Origin: base, Accept: 'application/json', Cookie: cookie },
    body: new URLSearchParams({ redirect_uris: allowed, default_logout_url: fallback }),
  });
  assert.equal(saved.status, 200, await saved.text());
});

async function signIn(name) {
  const org = await createOrganization(`Logout ${name}`);
  const user = await um.createUser({ email: email(name), password });
  await um.createOrganizationMembership({ organizationId: org.id, userId: user.id });
  const auth = await um.authenticateWithPassword({ clientId, email: user.email, password });
  const claims = JSON.parse(Buffer.from(auth.accessToken.split('.')[1], 'base64url').toString());
  assert.match(claims.sid, /^session_/);
  return { auth, sessionId: claims.sid };
}

test('getLogoutUrl with an allowed returnTo ends the session and redirects there', async () => {
  const { auth, sessionId } = await signIn('leaver');
  const url = um.getLogoutUrl({ sessionId, returnTo: allowed });
  assert.equal(url, `${base}/user_management/sessions/logout?session_id=${sessionId}&return_to=${encodeURIComponent(allowed)}`);
  const response = await fetch(url, { redirect: 'manual' });
  assert.equal(response.status, 302);
  assert.equal(response.headers.get('location'), allowed);

  const error = await rejection(um.authenticateWithRefreshToken({ clientId, refreshToken: auth.refreshToken }));
  assert.ok(error instanceof OauthException, String(error));
  assert.equal(error.error, 'invalid_grant');
});

test('getLogoutUrl without returnTo goes to the default logout URL, also for an unknown session', async () => {
  const { sessionId } = await signIn('plain');
  for (const id of [sessionId, 'session_01H5JQDV7R7ATEYZDEG0W5PRYS']) {
    const response = await fetch(um.getLogoutUrl({ sessionId: id }), { redirect: 'manual' });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), fallback);
  }
});

test('a returnTo outside the allow-list is refused and the session lives on', async () => {
  const { auth, sessionId } = await signIn('phished');
  const response = await fetch(um.getLogoutUrl({ sessionId, returnTo: 'https://evil.example.com/' }), { redirect: 'manual' });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('location'), null);
  assert.match(await response.text(), /not signed out/);
  const refreshed = await um.authenticateWithRefreshToken({ clientId, refreshToken: auth.refreshToken });
  assert.ok(refreshed.accessToken);
});
