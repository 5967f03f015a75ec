// Invitations: send, get, list, find by token, resend (new token), revoke, accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException } from '@workos-inc/node';
import { clientId, createOrganization, email, rejection, um } from '../lib/roster.mjs';

test('invitation lifecycle: send, get, list, find by token, resend, revoke', async () => {
  const org = await createOrganization('Invites');
  const inviter = await um.createUser({ email: email('inviter') });
  await um.createOrganizationMembership({ organizationId: org.id, userId: inviter.id, roleSlug: 'owner' });

  const sent = await um.sendInvitation({
    email: email('Invitee'),
    organizationId: org.id,
    inviterUserId: inviter.id,
    roleSlug: 'admin',
    expiresInDays: 3,
  });
  assert.equal(sent.object, 'invitation');
  assert.match(sent.id, /^invitation_[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(sent.email, email('invitee'));
  assert.equal(sent.state, 'pending');
  assert.equal(sent.organizationId, org.id);
  assert.equal(sent.inviterUserId, inviter.id);
  assert.equal(sent.acceptedUserId, null);
  assert.equal(sent.acceptedAt, null);
  assert.equal(sent.revokedAt, null);
  assert.ok(sent.token);
  assert.ok(sent.acceptInvitationUrl.includes(sent.token), sent.acceptInvitationUrl);
  const days = (Date.parse(sent.expiresAt) - Date.parse(sent.createdAt)) / 86_400_000;
  assert.ok(Math.abs(days - 3) < 0.01, `expires in ${days} days`);

  assert.deepEqual(await um.getInvitation(sent.id), sent);
  assert.deepEqual(await um.findInvitationByToken(sent.token), sent);
  const listed = await um.listInvitations({ organizationId: org.id });
  assert.deepEqual(listed.data.map((i) => i.id), [sent.id]);
  const byEmail = await um.listInvitations({ email: email('invitee') });
  assert.deepEqual(byEmail.data.map((i) => i.id), [sent.id]);

  // A second open invitation for the same email and organization is refused.
  const twice = await rejection(um.sendInvitation({ email: email('invitee'), organizationId: org.id }));
  assert.equal(twice.status, 409, `${twice}`);

  const resent = await um.resendInvitation(sent.id);
  assert.equal(resent.id, sent.id);
  assert.equal(resent.state, 'pending');
  assert.notEqual(resent.token, sent.token, 'resending issues a new token');
  assert.equal((await um.findInvitationByToken(resent.token)).id, sent.id);
  assert.ok((await rejection(um.findInvitationByToken(sent.token))) instanceof NotFoundException, 'the old token is dead');

  const revoked = await um.revokeInvitation(sent.id);
  assert.equal(revoked.state, 'revoked');
  assert.ok(revoked.revokedAt);
  assert.equal((await um.getInvitation(sent.id)).state, 'revoked');
  const acceptRevoked = await rejection(um.acceptInvitation(sent.id));
  assert.ok(acceptRevoked.status >= 400 && acceptRevoked.status < 500, `${acceptRevoked}`);
  const resendRevoked = await rejection(um.resendInvitation(sent.id));
  assert.ok(resendRevoked.status >= 400 && resendRevoked.status < 500, `${resendRevoked}`);
});

test('accepting an invitation makes an active membership with the invited role', async () => {
  const org = await createOrganization('Joiners');
  const other = await um.sendInvitation({ email: email('joiner'), organizationId: org.id, roleSlug: 'admin' });
  const accepted = await um.acceptInvitation(other.id);
  assert.equal(accepted.id, other.id);
  assert.equal(accepted.state, 'accepted');
  assert.ok(accepted.acceptedAt);
  assert.match(accepted.acceptedUserId, /^user_/);

  const user = await um.getUser(accepted.acceptedUserId);
  assert.equal(user.email, email('joiner'));
  const memberships = await um.listOrganizationMemberships({ organizationId: org.id, userId: user.id });
  assert.equal(memberships.data.length, 1);
  assert.equal(memberships.data[0].status, 'active');
  assert.equal(memberships.data[0].role.slug, 'admin');

  const again = await rejection(um.acceptInvitation(other.id));
  assert.ok(again.status >= 400 && again.status < 500, `${again}`);
});

test('an existing user accepting joins as themselves', async () => {
  const org = await createOrganization('Existing');
  const user = await um.createUser({ email: email('existing') });
  const invitation = await um.sendInvitation({ email: user.email, organizationId: org.id });
  const accepted = await um.acceptInvitation(invitation.id);
  assert.equal(accepted.acceptedUserId, user.id);
  const memberships = await um.listOrganizationMemberships({ userId: user.id });
  assert.deepEqual(memberships.data.map((m) => [m.organizationId, m.status, m.role.slug]), [[org.id, 'active', 'member']]);
});

test('an invitation without an organization invites someone to sign up', async () => {
  const sent = await um.sendInvitation({ email: email('signup') });
  assert.equal(sent.organizationId, null);
  assert.equal(sent.state, 'pending');
  const listed = await um.listInvitations({ email: email('signup') });
  assert.deepEqual(listed.data.map((i) => i.id), [sent.id]);
  const accepted = await um.acceptInvitation(sent.id);
  assert.equal(accepted.state, 'accepted');
  const memberships = await um.listOrganizationMemberships({ userId: accepted.acceptedUserId });
  assert.deepEqual(memberships.data, [], 'signing up joins no organization');

  const existing = await rejection(um.sendInvitation({ email: email('signup') }));
  assert.equal(existing.status, 409, `${existing}`);
});

test('signing in with an invitation token accepts the invitation', async () => {
  const org = await createOrganization('Sign-in invites');
  const user = await um.createUser({ email: email('invited-signer'), password: 'a long enough secret' });
  const invitation = await um.sendInvitation({ email: user.email, organizationId: org.id, roleSlug: 'admin' });
  const auth = await um.authenticateWithPassword({
    clientId,
    email: user.email,
    password: 'a long enough secret',
    invitationToken: invitation.token,
  });
  assert.equal(auth.organizationId, org.id);
  assert.equal((await um.getInvitation(invitation.id)).state, 'accepted');
  const memberships = await um.listOrganizationMemberships({ organizationId: org.id, userId: user.id });
  assert.deepEqual(memberships.data.map((m) => [m.status, m.role.slug]), [['active', 'admin']]);
});

test('unknown invitations are 404', async () => {
  const missing = 'invitation_01H5JQDV7R7ATEYZDEG0W5PRYS';
  for (const call of [
    () => um.getInvitation(missing),
    () => um.acceptInvitation(missing),
    () => um.revokeInvitation(missing),
    () => um.resendInvitation(missing),
    () => um.findInvitationByToken('no-such-token'),
  ]) {
    assert.ok((await rejection(call())) instanceof NotFoundException);
  }
});
