// Errors as the SDK classes them: 401, 404, 409, 422 (field codes in the message), 429.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NotFoundException,
  RateLimitExceededException,
  UnauthorizedException,
  UnprocessableEntityException,
  WorkOS,
} from '@workos-inc/node';
import { apiKey, client, clientId, createOrganization, email, options, rejection, um, workos } from '../lib/roster.mjs';

test('401 UnauthorizedException with an unknown or malformed key', async () => {
  for (const key of ['sk_test_not_a_real_key_but_long_enough_0000', 'not-even-an-sk-key']) {
    const stranger = client(key);
    const error = await rejection(stranger.userManagement.listUsers());
    assert.ok(error instanceof UnauthorizedException, `${error}`);
    assert.equal(error.status, 401);
    assert.ok((await rejection(stranger.organizations.listOrganizations())) instanceof UnauthorizedException);
  }
});

test('404 NotFoundException for unknown and malformed IDs', async () => {
  for (const call of [
    () => um.getUser('user_01H5JQDV7R7ATEYZDEG0W5PRYS'),
    () => um.getUser('not-an-id'),
    () => um.getUserByExternalId('no-such-external-id'),
    () => um.updateUser({ userId: 'user_01H5JQDV7R7ATEYZDEG0W5PRYS', firstName: 'X' }),
    () => um.deleteUser('user_01H5JQDV7R7ATEYZDEG0W5PRYS'),
    () => workos.organizations.getOrganization('org_01H5JQDV7R7ATEYZDEG0W5PRYS'),
    () => workos.organizations.getOrganization('org_nope'),
    () => workos.organizations.deleteOrganization('org_01H5JQDV7R7ATEYZDEG0W5PRYS'),
  ]) {
    const error = await rejection(call());
    assert.ok(error instanceof NotFoundException, `${error}`);
    assert.equal(error.status, 404);
  }
});

test('422 UnprocessableEntityException lists the field codes', async () => {
  const invalid = await rejection(um.createUser({ email: 'not-an-email' }));
  assert.ok(invalid instanceof UnprocessableEntityException, `${invalid}`);
  assert.equal(invalid.status, 422);
  assert.match(invalid.message, /email_invalid/);

  const several = await rejection(um.createUser({ email: 'still@not', firstName: 'x'.repeat(101), password: 'short' }));
  assert.ok(several instanceof UnprocessableEntityException);
  for (const code of ['email_invalid', 'first_name_too_long', 'password_too_short']) {
    assert.match(several.message, new RegExp(code));
  }

  const missing = await rejection(workos.organizations.createOrganization({ name: '' }));
  assert.ok(missing instanceof UnprocessableEntityException, `${missing}`);
  assert.match(missing.message, /name_required/);

  const tooMany = Object.fromEntries([...Array(51).keys()].map((i) => [`k${i}`, 'v']));
  const metadata = await rejection(um.createUser({ email: email('meta'), metadata: tooMany }));
  assert.match(metadata.message, /metadata_too_many_keys/);

  const badDomain = await rejection(createOrganization('Bad', { domainData: [{ domain: 'not a domain', state: 'verified' }] }));
  assert.match(badDomain.message, /domain_invalid/);

  const org = await createOrganization('Invite limits');
  const days = await rejection(um.sendInvitation({ email: email('late'), organizationId: org.id, expiresInDays: 31 }));
  assert.ok(days instanceof UnprocessableEntityException, `${days}`);
  assert.match(days.message, /expires_in_days_out_of_range/);

  const statuses = await rejection(um.listOrganizationMemberships({ userId: 'user_01H5JQDV7R7ATEYZDEG0W5PRYS', statuses: ['bogus'] }));
  assert.ok(statuses instanceof UnprocessableEntityException, `${statuses}`);
});

test('409 ConflictException on a duplicate email or external id', async () => {
  await um.createUser({ email: email('dup'), externalId: `dup-${email('dup')}` });
  const duplicate = await rejection(um.createUser({ email: email('DUP') }));
  // v8 does not export ConflictException; it is thrown with this name and status.
  assert.equal(duplicate.name, 'ConflictException', `${duplicate}`);
  assert.equal(duplicate.status, 409);
  const sameExternal = await rejection(um.createUser({ email: email('dup2'), externalId: `dup-${email('dup')}` }));
  assert.equal(sameExternal.status, 409);
  const other = await um.createUser({ email: email('dup3') });
  const renamed = await rejection(um.updateUser({ userId: other.id, email: email('dup') }));
  assert.equal(renamed.name, 'ConflictException', `changing to a taken email: ${renamed}`);
});

test('the 11th password attempt for one email is a 429 RateLimitExceededException', async () => {
  const user = await um.createUser({ email: email('limited'), password: 'correct horse battery' });
  for (let i = 1; i <= 10; i += 1) {
    const error = await rejection(um.authenticateWithPassword({ clientId, email: user.email, password: `wrong password ${i}` }));
    assert.equal(error.status, 400, `attempt ${i}: ${error}`);
  }
  const limited = await rejection(um.authenticateWithPassword({ clientId, email: user.email, password: 'wrong password 11' }));
  assert.ok(limited instanceof RateLimitExceededException, `${limited}`);
  assert.equal(limited.status, 429);
  assert.ok(limited.retryAfter >= 1 && limited.retryAfter <= 60, `Retry-After ${limited.retryAfter}`);
  // Even the right password waits for the window to pass.
  const stillLimited = await rejection(um.authenticateWithPassword({ clientId, email: user.email, password: 'correct horse battery' }));
  assert.ok(stillLimited instanceof RateLimitExceededException);
  // Other emails are unaffected.
  const other = await um.createUser({ email: email('unlimited'), password: 'correct horse battery' });
  assert.equal((await um.authenticateWithPassword({ clientId, email: other.email, password: 'correct horse battery' })).user.id, other.id);
});

test('responses are JSON with WorkOS success statuses (201 create, 204 delete, 200 otherwise)', async () => {
  const seen = [];
  const spy = async (url, init) => {
    const response = await fetch(url, init);
    seen.push({ method: init?.method ?? 'GET', path: new URL(url).pathname, status: response.status, type: response.headers.get('content-type') });
    return response;
  };
  const spied = new WorkOS(apiKey, { ...options, fetchFn: spy });
  const user = await spied.userManagement.createUser({ email: email('wire') });
  await spied.userManagement.getUser(user.id);
  await spied.userManagement.listUsers({ email: user.email });
  await spied.userManagement.updateUser({ userId: user.id, lastName: 'Wire' });
  await spied.userManagement.deleteUser(user.id);
  await rejection(spied.userManagement.getUser(user.id));
  assert.deepEqual(
    seen.map(({ method, status }) => `${method} ${status}`),
    ['POST 201', 'GET 200', 'GET 200', 'PUT 200', 'DELETE 204', 'GET 404'],
  );
  for (const { status, type } of seen) {
    if (status !== 204) assert.match(type ?? '', /^application\/json/);
  }
});
