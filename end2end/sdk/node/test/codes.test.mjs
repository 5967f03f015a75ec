// One-time codes: email verification (the right code is read from Roster's outbox),
// password reset, magic auth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException, OauthException, UnprocessableEntityException } from '@workos-inc/node';
import { clientId, email, latestMessageTo, rejection, um } from '../lib/roster.mjs';

test('sendVerificationEmail, verifyEmail with a wrong then the right code', async () => {
  const user = await um.createUser({ email: email('verify') });
  assert.equal(user.emailVerified, false);
  const sent = await um.sendVerificationEmail({ userId: user.id });
  assert.equal(sent.user.id, user.id, 'answers { user }');
  assert.equal(sent.user.emailVerified, false);

  const code = latestMessageTo(user.email).match(/\b(\d{6})\b/)?.[1];
  assert.ok(code, 'the outbox holds a six-digit code');
  const wrong = await rejection(um.verifyEmail({ userId: user.id, code: code === '000000' ? '111111' : '000000' }));
  assert.ok(wrong instanceof UnprocessableEntityException, `${wrong}`);
  assert.match(wrong.message, /email_verification_code_invalid/);

  const verified = await um.verifyEmail({ userId: user.id, code });
  assert.equal(verified.user.id, user.id);
  assert.equal(verified.user.emailVerified, true);
  assert.equal((await um.getUser(user.id)).emailVerified, true);
  const reused = await rejection(um.verifyEmail({ userId: user.id, code }));
  assert.ok(reused instanceof UnprocessableEntityException, 'a code works once');

  assert.ok((await rejection(um.sendVerificationEmail({ userId: 'user_01H5JQDV7R7ATEYZDEG0W5PRYS' }))) instanceof NotFoundException);
  assert.ok((await rejection(um.getEmailVerification('email_verification_01H5JQDV7R7ATEYZDEG0W5PRYS'))) instanceof NotFoundException);
});

test('createPasswordReset, getPasswordReset, resetPassword, then sign in with the new password', async () => {
  const user = await um.createUser({ email: email('reset'), password: 'the old passphrase' });
  const reset = await um.createPasswordReset({ email: user.email });
  assert.equal(reset.object, 'password_reset');
  assert.match(reset.id, /^password_reset_/);
  assert.equal(reset.userId, user.id);
  assert.equal(reset.email, user.email);
  assert.ok(reset.passwordResetToken);
  assert.ok(reset.passwordResetUrl.includes(reset.passwordResetToken), reset.passwordResetUrl);
  assert.ok(Date.parse(reset.expiresAt) > Date.now());
  assert.ok(latestMessageTo(user.email).includes(reset.passwordResetToken), 'the link went out');

  const fetched = await um.getPasswordReset(reset.id);
  assert.equal(fetched.id, reset.id);
  assert.equal(fetched.passwordResetToken, reset.passwordResetToken);

  const tooShort = await rejection(um.resetPassword({ token: reset.passwordResetToken, newPassword: 'short' }));
  assert.ok(tooShort instanceof UnprocessableEntityException, `${tooShort}`);
  assert.match(tooShort.message, /password_too_short/);

  const done = await um.resetPassword({ token: reset.passwordResetToken, newPassword: 'a new secret phrase' });
  assert.equal(done.user.id, user.id, 'answers { user }');
  const auth = await um.authenticateWithPassword({ clientId, email: user.email, password: 'a new secret phrase' });
  assert.equal(auth.user.id, user.id);
  const old = await rejection(um.authenticateWithPassword({ clientId, email: user.email, password: 'the old passphrase' }));
  assert.equal(old.status, 400);
  const again = await rejection(um.resetPassword({ token: reset.passwordResetToken, newPassword: 'yet another phrase' }));
  assert.ok(again instanceof UnprocessableEntityException, 'a reset token works once');
});

test('createMagicAuth, getMagicAuth', async () => {
  const user = await um.createUser({ email: email('magic') });
  const magic = await um.createMagicAuth({ email: user.email });
  assert.equal(magic.object, 'magic_auth');
  assert.match(magic.id, /^magic_auth_/);
  assert.equal(magic.userId, user.id);
  assert.equal(magic.email, user.email);
  assert.match(magic.code, /^\d{6}$/);
  assert.ok(Date.parse(magic.expiresAt) > Date.now());
  assert.ok(latestMessageTo(user.email).includes(magic.code));
  const fetched = await um.getMagicAuth(magic.id);
  assert.equal(fetched.id, magic.id);
  assert.equal(fetched.code, magic.code);
  assert.ok((await rejection(um.getMagicAuth('magic_auth_01H5JQDV7R7ATEYZDEG0W5PRYS'))) instanceof NotFoundException);
});

test('authenticateWithMagicAuth: a wrong code is refused, the right one signs in once', async () => {
  const user = await um.createUser({ email: email('magic-sign-in') });
  const magic = await um.createMagicAuth({ email: user.email });
  const wrong = magic.code === '000000' ? '111111' : '000000';
  const refused = await rejection(um.authenticateWithMagicAuth({ clientId, email: user.email, code: wrong }));
  assert.ok(refused instanceof OauthException, `${refused}`);
  assert.equal(refused.error, 'invalid_grant');

  const auth = await um.authenticateWithMagicAuth({ clientId, email: user.email, code: magic.code });
  assert.equal(auth.user.id, user.id);
  assert.equal(auth.user.emailVerified, true, 'the code proves the email');
  assert.equal(auth.authenticationMethod, 'MagicAuth');
  assert.ok(auth.accessToken && auth.refreshToken);

  const reused = await rejection(um.authenticateWithMagicAuth({ clientId, email: user.email, code: magic.code }));
  assert.ok(reused instanceof OauthException, `${reused}`);
});
