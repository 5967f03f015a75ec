// Users: create (plain password, imported bcrypt and Argon2 hashes), read, find by external
// ID, list with filters, update (metadata null removes a key), delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenericServerException, NotFoundException } from '@workos-inc/node';
import { IMPORTED, clientId, createOrganization, email, rejection, um, unique } from '../lib/roster.mjs';

const signIn = (address, password) => um.authenticateWithPassword({ clientId, email: address, password });

test('create with a password, read by id and by external id, update, delete', async () => {
  // Characters that must survive the path of getUserByExternalId (v8 puts IDs in raw).
  const externalId = `${unique('ada')}:crm+1@acme`;
  const created = await um.createUser({
    email: email('Ada'),
    password: 'correct horse battery',
    firstName: 'Ada',
    lastName: 'Lovelace',
    externalId,
    metadata: { team: 'core', tier: 'gold' },
  });
  assert.equal(created.object, 'user');
  assert.match(created.id, /^user_[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(created.email, email('ada'), 'emails are stored lower-cased');
  assert.equal(created.emailVerified, false);
  assert.equal(created.firstName, 'Ada');
  assert.equal(created.lastName, 'Lovelace');
  assert.equal(created.externalId, externalId);
  assert.deepEqual(created.metadata, { team: 'core', tier: 'gold' });
  assert.equal(created.profilePictureUrl, null);
  assert.equal(created.lastSignInAt, null);
  assert.ok(!Number.isNaN(Date.parse(created.createdAt)) && !Number.isNaN(Date.parse(created.updatedAt)));

  assert.deepEqual(await um.getUser(created.id), created);
  assert.deepEqual(await um.getUserByExternalId(externalId), created);
  assert.deepEqual(await um.getUserIdentities(created.id), []);

  const signedIn = await signIn(created.email, 'correct horse battery');
  assert.equal(signedIn.user.id, created.id);

  const updated = await um.updateUser({
    userId: created.id,
    firstName: 'Augusta',
    emailVerified: true,
    // Every key is named, so this holds whether updates merge or replace metadata.
    metadata: { team: null, tier: 'gold', plan: 'pro' },
  });
  assert.equal(updated.firstName, 'Augusta');
  assert.equal(updated.lastName, 'Lovelace', 'fields left out stay as they were');
  assert.equal(updated.emailVerified, true);
  assert.deepEqual(updated.metadata, { tier: 'gold', plan: 'pro' }, 'a null metadata value removes its key');
  assert.deepEqual((await um.getUser(created.id)).metadata, { tier: 'gold', plan: 'pro' });

  const newPassword = await um.updateUser({ userId: created.id, password: 'a different passphrase' });
  assert.equal(newPassword.id, created.id);
  await signIn(created.email, 'a different passphrase');

  await um.deleteUser(created.id);
  const gone = await rejection(um.getUser(created.id));
  assert.ok(gone instanceof NotFoundException, `${gone}`);
  assert.equal(gone.status, 404);
  assert.ok((await rejection(um.getUserByExternalId(externalId))) instanceof NotFoundException);
  assert.ok((await rejection(um.deleteUser(created.id))) instanceof NotFoundException);
});

test('users imported with a bcrypt hash sign in with their old password', async () => {
  const user = await um.createUser({
    email: email('bcrypt'),
    passwordHash: IMPORTED.bcrypt.hash,
    passwordHashType: 'bcrypt',
  });
  const wrong = await rejection(signIn(user.email, 'not the password'));
  assert.ok(wrong instanceof GenericServerException, `${wrong}`);
  assert.equal(wrong.status, 400);
  assert.equal((await signIn(user.email, IMPORTED.bcrypt.password)).user.id, user.id);
  // The hash is upgraded at that sign-in; the password keeps working.
  assert.equal((await signIn(user.email, IMPORTED.bcrypt.password)).user.id, user.id);
});

test('users imported with Argon2id and Argon2i hashes sign in with their old password', async () => {
  for (const kind of ['argon2id', 'argon2i']) {
    const user = await um.createUser({
      email: email(kind),
      passwordHash: IMPORTED[kind].hash,
      passwordHashType: 'argon2',
    });
    assert.equal((await signIn(user.email, IMPORTED[kind].password)).user.id, user.id);
    assert.equal((await rejection(signIn(user.email, 'not the password'))).status, 400);
  }
});

test('an unusable password hash is a 422 naming the field', async () => {
  const error = await rejection(
    um.createUser({ email: email('badhash'), passwordHash: 'not-a-hash', passwordHashType: 'bcrypt' }),
  );
  assert.equal(error.name, 'UnprocessableEntityException');
  assert.match(error.message, /password_hash_invalid/);
});

test('list users filtered by email and by organization', async () => {
  const org = await createOrganization('Listing');
  const members = [];
  for (const name of ['lia', 'leo', 'lou']) {
    const user = await um.createUser({ email: email(name) });
    await um.createOrganizationMembership({ organizationId: org.id, userId: user.id });
    members.push(user);
  }
  const outsider = await um.createUser({ email: email('outsider') });

  const byEmail = await um.listUsers({ email: email('leo') });
  assert.deepEqual(byEmail.data.map((u) => u.id), [members[1].id]);
  assert.equal(byEmail.listMetadata.after, null);
  // The email filter matches the normalized address.
  assert.deepEqual((await um.listUsers({ email: email('LEO') })).data.map((u) => u.id), [members[1].id]);

  const byOrg = await um.listUsers({ organizationId: org.id });
  assert.deepEqual(
    byOrg.data.map((u) => u.id),
    members.map((u) => u.id).reverse(),
    'newest first: the SDK asks for order=desc',
  );
  assert.ok(!byOrg.data.some((u) => u.id === outsider.id));
  const ascending = await um.listUsers({ organizationId: org.id, order: 'asc' });
  assert.deepEqual(ascending.data.map((u) => u.id), members.map((u) => u.id));

  const both = await um.listUsers({ organizationId: org.id, email: email('lou') });
  assert.deepEqual(both.data.map((u) => u.id), [members[2].id]);
  const none = await um.listUsers({ organizationId: org.id, email: outsider.email });
  assert.deepEqual(none.data, []);

  const firstTwo = await um.listUsers({ organizationId: org.id, limit: 2 });
  assert.equal(firstTwo.data.length, 2);
  assert.ok(firstTwo.listMetadata.after, 'a cursor when more follow');
  const rest = await um.listUsers({ organizationId: org.id, limit: 2, after: firstTwo.listMetadata.after });
  assert.deepEqual(rest.data.map((u) => u.id), [members[0].id]);
  assert.equal(rest.listMetadata.after, null);
  assert.ok(rest.listMetadata.before, 'a cursor back to the first page');
  const back = await um.listUsers({ organizationId: org.id, limit: 2, before: rest.listMetadata.before });
  assert.deepEqual(back.data.map((u) => u.id), firstTwo.data.map((u) => u.id));
});

test('updateUser sets a password hash imported from another system', async () => {
  // WorkOS's updateUser accepts password_hash + password_hash_type (SDK: passwordHash, passwordHashType).
  const user = await um.createUser({ email: email('rehash'), password: 'the first passphrase' });
  const updated = await um.updateUser({
    userId: user.id,
    passwordHash: IMPORTED.bcrypt.hash,
    passwordHashType: 'bcrypt',
  });
  assert.equal(updated.id, user.id);
  assert.equal((await signIn(user.email, IMPORTED.bcrypt.password)).user.id, user.id);
  assert.equal((await rejection(signIn(user.email, 'the first passphrase'))).status, 400);
});
