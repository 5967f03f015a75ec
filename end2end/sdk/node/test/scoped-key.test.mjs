// An API key limited to one organization (`roster api-key create --organization`): other
// organizations and their people are out of sight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException } from '@workos-inc/node';
import { client, createOrganization, email, organizationKey, rejection, um } from '../lib/roster.mjs';

test('an organization-scoped key sees only its own organization', async () => {
  const own = await createOrganization('Own');
  const foreign = await createOrganization('Foreign');
  const member = await um.createUser({ email: email('own-member') });
  await um.createOrganizationMembership({ organizationId: own.id, userId: member.id, roleSlug: 'owner' });
  const stranger = await um.createUser({ email: email('foreign-member') });
  const strangerMembership = await um.createOrganizationMembership({ organizationId: foreign.id, userId: stranger.id });

  const scoped = client(organizationKey(own.id));

  const foreignUsers = await scoped.userManagement.listUsers({ organizationId: foreign.id });
  assert.deepEqual(foreignUsers.data, [], 'a foreign organization_id lists nobody');
  assert.equal(foreignUsers.listMetadata.after, null);
  const ownUsers = await scoped.userManagement.listUsers({ organizationId: own.id });
  assert.deepEqual(ownUsers.data.map((u) => u.id), [member.id]);
  const everyone = await (await scoped.userManagement.listUsers()).autoPagination();
  assert.deepEqual(everyone.map((u) => u.id), [member.id], 'no filter means its own members');

  const foreignOrg = await rejection(scoped.organizations.getOrganization(foreign.id));
  assert.ok(foreignOrg instanceof NotFoundException, `${foreignOrg}`);
  assert.equal((await scoped.organizations.getOrganization(own.id)).id, own.id);
  const orgs = await scoped.organizations.listOrganizations();
  assert.deepEqual(orgs.data.map((o) => o.id), [own.id]);

  assert.ok((await rejection(scoped.userManagement.getUser(stranger.id))) instanceof NotFoundException);
  assert.equal((await scoped.userManagement.getUser(member.id)).id, member.id);
  assert.ok((await rejection(scoped.userManagement.getOrganizationMembership(strangerMembership.id))) instanceof NotFoundException);
  const foreignMemberships = await scoped.userManagement.listOrganizationMemberships({ organizationId: foreign.id });
  assert.deepEqual(foreignMemberships.data, []);
  assert.ok((await rejection(scoped.organizations.listOrganizationRoles({ organizationId: foreign.id }))) instanceof NotFoundException);
  assert.ok((await rejection(scoped.userManagement.sendInvitation({ email: email('x'), organizationId: foreign.id }))) instanceof NotFoundException);
  // Environment-wide actions are not for organization keys.
  const create = await rejection(scoped.organizations.createOrganization({ name: 'Nope' }));
  assert.equal(create.status, 403, `${create}`);
});
