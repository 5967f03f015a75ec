// TOTP authentication factors through the SDK: userManagement.enrollAuthFactor and
// listAuthFactors, and the mfa module (enrollFactor, getFactor, challengeFactor,
// verifyChallenge, deleteFactor). Codes are computed with node:crypto (RFC 6238, lib/roster.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException } from '@workos-inc/node';
import { client, createOrganization, email, organizationKey, rejection, settledNow, totp, um, workos } from '../lib/roster.mjs';

async function acmeMember(tag) {
  const acme = await createOrganization(`Acme ${tag}`);
  const user = await um.createUser({ email: email(tag) });
  await um.createOrganizationMembership({ organizationId: acme.id, userId: user.id });
  return { acme, user };
}

test('a user enrolls a TOTP factor and proves it once per code', async () => {
  const { user } = await acmeMember('factors-user');
  const enrolled = await um.enrollAuthFactor({ userId: user.id, type: 'totp', totpIssuer: 'Foo Corp', totpUser: user.email });
  const factor = enrolled.authenticationFactor;
  assert.equal(factor.object, 'authentication_factor');
  assert.match(factor.id, /^auth_factor_[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(factor.type, 'totp');
  assert.equal(factor.userId, user.id);
  assert.equal(factor.totp.issuer, 'Foo Corp');
  assert.equal(factor.totp.user, user.email);
  assert.match(factor.totp.secret, /^[A-Z2-7]{32}$/);
  assert.ok(factor.totp.uri.startsWith('otpauth://totp/'), factor.totp.uri);
  assert.ok(factor.totp.uri.includes(`secret=${factor.totp.secret}`));
  assert.match(factor.totp.qrCode, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
  const challenge = enrolled.authenticationChallenge;
  assert.equal(challenge.object, 'authentication_challenge');
  assert.equal(challenge.authenticationFactorId, factor.id);
  assert.ok(Date.parse(challenge.expiresAt) > Date.now());

  const listed = await um.listAuthFactors({ userId: user.id });
  assert.deepEqual(listed.data, [
    {
      object: 'authentication_factor',
      id: factor.id,
      createdAt: factor.createdAt,
      updatedAt: factor.updatedAt,
      type: 'totp',
      totp: { issuer: 'Foo Corp', user: user.email },
      userId: user.id,
    },
  ]);

  const now = await settledNow();
  const code = totp(factor.totp.secret, now);
  const verified = await workos.mfa.verifyChallenge({ authenticationChallengeId: challenge.id, code });
  assert.equal(verified.valid, true);
  assert.equal(verified.challenge.id, challenge.id);

  // The same challenge is not verified twice.
  const twice = await rejection(workos.mfa.verifyChallenge({ authenticationChallengeId: challenge.id, code }));
  assert.equal(twice.status, 400, `${twice}`);

  // The code cannot be replayed on a new challenge.
  const next = await workos.mfa.challengeFactor({ authenticationFactorId: factor.id });
  assert.equal(next.authenticationFactorId, factor.id);
  const replay = await workos.mfa.verifyChallenge({ authenticationChallengeId: next.id, code });
  assert.equal(replay.valid, false, 'a replayed code is not valid');
});

test('the MFA API enrolls, reads, challenges with one step of skew, and deletes a factor', async () => {
  const factor = await workos.mfa.enrollFactor({ type: 'totp', issuer: 'Kiosk', user: email('kiosk') });
  assert.equal(factor.type, 'totp');
  assert.equal(factor.totp.issuer, 'Kiosk');
  assert.match(factor.totp.secret, /^[A-Z2-7]+$/);
  const read = await workos.mfa.getFactor(factor.id);
  assert.deepEqual(read.totp, { issuer: 'Kiosk', user: email('kiosk') }, 'no secret after enrollment');

  let now = await settledNow();
  const late = await workos.mfa.challengeFactor({ authenticationFactorId: factor.id });
  const tooLate = await workos.mfa.verifyChallenge({ authenticationChallengeId: late.id, code: totp(factor.totp.secret, now, -2) });
  assert.equal(tooLate.valid, false, 'two steps back is refused');
  const previous = await workos.mfa.verifyChallenge({ authenticationChallengeId: late.id, code: totp(factor.totp.secret, now, -1) });
  assert.equal(previous.valid, true, 'one step back is accepted');

  now = await settledNow();
  const early = await workos.mfa.challengeFactor({ authenticationFactorId: factor.id });
  const tooEarly = await workos.mfa.verifyChallenge({ authenticationChallengeId: early.id, code: totp(factor.totp.secret, now, 2) });
  assert.equal(tooEarly.valid, false, 'two steps ahead is refused');
  const ahead = await workos.mfa.verifyChallenge({ authenticationChallengeId: early.id, code: totp(factor.totp.secret, now, 1) });
  assert.equal(ahead.valid, true, 'one step ahead is accepted');

  await workos.mfa.deleteFactor(factor.id);
  assert.ok((await rejection(workos.mfa.getFactor(factor.id))) instanceof NotFoundException);
});

test("another organization's key reaches none of a user's factors", async () => {
  const { acme, user } = await acmeMember('factors-reach');
  const { authenticationFactor: factor, authenticationChallenge: challenge } = await um.enrollAuthFactor({
    userId: user.id,
    type: 'totp',
  });
  assert.equal(factor.totp.user, user.email, 'the email is the default account name');
  const globex = await createOrganization('Globex factors');
  const foreign = client(organizationKey(globex.id));
  const calls = [
    () => foreign.mfa.getFactor(factor.id),
    () => foreign.mfa.challengeFactor({ authenticationFactorId: factor.id }),
    () => foreign.mfa.verifyChallenge({ authenticationChallengeId: challenge.id, code: '123456' }),
    () => foreign.mfa.deleteFactor(factor.id),
    () => foreign.userManagement.enrollAuthFactor({ userId: user.id, type: 'totp' }),
    () => foreign.userManagement.listAuthFactors({ userId: user.id }),
  ];
  for (const call of calls) {
    const refused = await rejection(call());
    assert.ok(refused instanceof NotFoundException, `${refused}`);
  }
  const own = client(organizationKey(acme.id));
  assert.equal((await own.mfa.getFactor(factor.id)).id, factor.id);
  assert.equal((await own.userManagement.listAuthFactors({ userId: user.id })).data.length, 1);
});
