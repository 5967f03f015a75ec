// Organization memberships: create, get, list with statuses, role change, deactivate,
// reactivate, delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException } from '@workos-inc/node';
import { createOrganization, email, rejection, um } from '../lib/roster.mjs';

test('membership lifecycle', async () => {
  const org = await createOrganization('Members');
  const owner = await um.createUser({ email: email('owner') });
  const ownership = await um.createOrganizationMembership({ organizationId: org.id, userId: owner.id, roleSlug: 'owner' });
  assert.equal(ownership.role.slug, 'owner');

  const user = await um.createUser({ email: email('mia') });
  const membership = await um.createOrganizationMembership({ organizationId: org.id, userId: user.id });
  assert.equal(membership.object, 'organization_membership');
  assert.match(membership.id, /^om_[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(membership.userId, user.id);
  assert.equal(membership.organizationId, org.id);
  assert.equal(membership.organizationName, org.name);
  assert.equal(membership.status, 'active');
  assert.deepEqual(membership.role, { slug: 'member' }, 'the default role');

  const fetched = await um.getOrganizationMembership(membership.id);
  assert.equal(fetched.id, membership.id);
  assert.equal(fetched.status, 'active');
  assert.deepEqual(fetched.role, { slug: 'member' });

  const byUser = await um.listOrganizationMemberships({ userId: user.id });
  assert.deepEqual(byUser.data.map((m) => m.id), [membership.id]);
  const byBoth = await um.listOrganizationMemberships({ userId: user.id, organizationId: org.id });
  assert.deepEqual(byBoth.data.map((m) => m.id), [membership.id]);
  const byOrg = await um.listOrganizationMemberships({ organizationId: org.id });
  assert.deepEqual(new Set(byOrg.data.map((m) => m.id)), new Set([ownership.id, membership.id]));

  const promoted = await um.updateOrganizationMembership(membership.id, { roleSlug: 'admin' });
  assert.equal(promoted.id, membership.id);
  assert.equal(promoted.role.slug, 'admin');
  assert.equal((await um.getOrganizationMembership(membership.id)).role.slug, 'admin');

  const inactive = await um.deactivateOrganizationMembership(membership.id);
  assert.equal(inactive.status, 'inactive');
  assert.equal((await um.getOrganizationMembership(membership.id)).status, 'inactive');
  const activeOnly = await um.listOrganizationMemberships({ organizationId: org.id });
  assert.deepEqual(activeOnly.data.map((m) => m.id), [ownership.id], 'only active memberships by default');
  const inactiveOnly = await um.listOrganizationMemberships({ organizationId: org.id, statuses: ['inactive'] });
  assert.deepEqual(inactiveOnly.data.map((m) => m.id), [membership.id]);
  const both = await um.listOrganizationMemberships({ organizationId: org.id, statuses: ['active', 'inactive'] });
  assert.deepEqual(new Set(both.data.map((m) => m.id)), new Set([ownership.id, membership.id]));
  // Deactivating twice is a no-op.
  assert.equal((await um.deactivateOrganizationMembership(membership.id)).status, 'inactive');

  const back = await um.reactivateOrganizationMembership(membership.id);
  assert.equal(back.status, 'active');
  assert.equal(back.role.slug, 'admin', 'reactivation keeps the role');
  assert.equal((await um.reactivateOrganizationMembership(membership.id)).status, 'active');

  await um.deleteOrganizationMembership(membership.id);
  assert.ok((await rejection(um.getOrganizationMembership(membership.id))) instanceof NotFoundException);
  assert.deepEqual((await um.listOrganizationMemberships({ userId: user.id })).data, []);
  assert.equal((await um.getUser(user.id)).id, user.id, 'removing the membership keeps the user');
});

test('re-creating a deactivated membership reactivates it', async () => {
  const org = await createOrganization('Rejoin');
  const user = await um.createUser({ email: email('rejoin') });
  const first = await um.createOrganizationMembership({ organizationId: org.id, userId: user.id, roleSlug: 'admin' });
  await um.deactivateOrganizationMembership(first.id);
  const again = await um.createOrganizationMembership({ organizationId: org.id, userId: user.id });
  assert.equal(again.id, first.id);
  assert.equal(again.status, 'active');
});

test('membership errors: unknown role 422, unknown user 422, unknown membership 404', async () => {
  const org = await createOrganization('Member errors');
  const user = await um.createUser({ email: email('errs') });
  const badRole = await rejection(
    um.createOrganizationMembership({ organizationId: org.id, userId: user.id, roleSlug: 'wizard' }),
  );
  assert.equal(badRole.name, 'UnprocessableEntityException', `${badRole}`);
  assert.match(badRole.message, /role_not_found/);
  const badUser = await rejection(
    um.createOrganizationMembership({ organizationId: org.id, userId: 'user_01H5JQDV7R7ATEYZDEG0W5PRYS' }),
  );
  assert.equal(badUser.status, 422, `${badUser}`);
  const missing = 'om_01H5JQDV7R7ATEYZDEG0W5PRYS';
  for (const call of [
    () => um.getOrganizationMembership(missing),
    () => um.updateOrganizationMembership(missing, { roleSlug: 'admin' }),
    () => um.deactivateOrganizationMembership(missing),
    () => um.reactivateOrganizationMembership(missing),
    () => um.deleteOrganizationMembership(missing),
  ]) {
    assert.ok((await rejection(call())) instanceof NotFoundException);
  }
});
