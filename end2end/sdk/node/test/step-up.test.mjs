// Sign-in that needs a second step, as the SDK meets it: a password alone answers 403 with a
// pending authentication token when the user has a TOTP factor (mfa_challenge) or more than one
// organization (organization_selection_required); authenticateWithTotp and
// authenticateWithOrganizationSelection finish it, once. Nothing here changes the
// environment's settings: the other files run at the same time against the same server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OauthException } from '@workos-inc/node';
import { clientId, createOrganization, email, rejection, settledNow, totp, um, workos } from '../lib/roster.mjs';

const PASSWORD = 'correct horse battery';

const byId = (list) => [...list].sort((a, b) => a.id.localeCompare(b.id));

/** The 403 a password sign-in answers when one more step is needed. */
async function stepUp(user, code) {
  const error = await rejection(um.authenticateWithPassword({ clientId, email: user.email, password: PASSWORD }));
  assert.equal(error.status, 403, `${error}`);
  assert.equal(error.rawData?.code, code, JSON.stringify(error.rawData));
  assert.equal(typeof error.rawData.pending_authentication_token, 'string');
  assert.equal(error.rawData.user?.id, user.id);
  return error.rawData;
}

function assertInvalidGrant(error) {
  assert.ok(error instanceof OauthException, `${error}`);
  assert.equal(error.status, 400);
  assert.equal(error.error, 'invalid_grant');
}

test('an enrolled TOTP factor turns a password sign-in into a challenge, finished once', async () => {
  const user = await um.createUser({ email: email('step-up-mfa'), password: PASSWORD, emailVerified: true });
  const { authenticationFactor: factor } = await um.enrollAuthFactor({ userId: user.id, type: 'totp' });

  const pending = await stepUp(user, 'mfa_challenge');
  assert.deepEqual(pending.authentication_factors, [{ id: factor.id, type: 'totp' }]);
  const pendingAuthenticationToken = pending.pending_authentication_token;

  const now = await settledNow();
  const code = totp(factor.totp.secret, now);
  const wrong = code === '000000' ? '111111' : '000000';
  const missed = await workos.mfa.challengeFactor({ authenticationFactorId: factor.id });
  const refused = await rejection(
    um.authenticateWithTotp({ clientId, code: wrong, authenticationChallengeId: missed.id, pendingAuthenticationToken }),
  );
  assert.ok(refused.status >= 400 && refused.status < 500, `${refused}`);

  // The wrong code did not use up the pending token.
  const challenge = await workos.mfa.challengeFactor({ authenticationFactorId: factor.id });
  assert.equal(challenge.authenticationFactorId, factor.id);
  const auth = await um.authenticateWithTotp({ clientId, code, authenticationChallengeId: challenge.id, pendingAuthenticationToken });
  assert.equal(auth.user.id, user.id);
  assert.ok(auth.accessToken && auth.refreshToken);

  // The token is spent: even a code Roster would still accept (one step ahead) does not reuse it.
  const again = await workos.mfa.challengeFactor({ authenticationFactorId: factor.id });
  assertInvalidGrant(
    await rejection(
      um.authenticateWithTotp({
        clientId,
        code: totp(factor.totp.secret, now, 1),
        authenticationChallengeId: again.id,
        pendingAuthenticationToken,
      }),
    ),
  );
});

test('a member of two organizations chooses one; an organization of someone else is refused', async () => {
  const north = await createOrganization('Step-up North');
  const south = await createOrganization('Step-up South');
  const elsewhere = await createOrganization('Step-up Elsewhere');
  const user = await um.createUser({ email: email('step-up-orgs'), password: PASSWORD, emailVerified: true });
  for (const organization of [north, south]) {
    await um.createOrganizationMembership({ organizationId: organization.id, userId: user.id });
  }

  const pending = await stepUp(user, 'organization_selection_required');
  assert.deepEqual(
    byId(pending.organizations),
    byId([north, south].map(({ id, name }) => ({ id, name }))),
  );
  const auth = await um.authenticateWithOrganizationSelection({
    clientId,
    organizationId: south.id,
    pendingAuthenticationToken: pending.pending_authentication_token,
  });
  assert.equal(auth.user.id, user.id);
  assert.equal(auth.organizationId, south.id);
  assert.ok(auth.accessToken);

  const next = await stepUp(user, 'organization_selection_required');
  const foreign = await rejection(
    um.authenticateWithOrganizationSelection({
      clientId,
      organizationId: elsewhere.id,
      pendingAuthenticationToken: next.pending_authentication_token,
    }),
  );
  assert.equal(foreign.status, 400, `${foreign}`);
});

test('an authorization code that Roster never issued is a 400 invalid_grant', async () => {
  assertInvalidGrant(await rejection(um.authenticateWithCode({ clientId, code: 'not-a-code' })));
});
