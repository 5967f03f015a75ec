// workos.authorization: the permissions catalog, environment and organization roles with
// their permissions, role assignments on a membership, and check; with the refusals an
// application meets (409 for a held role, 404s, 422s, an organization key out of its reach).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException, UnprocessableEntityException } from '@workos-inc/node';
import { client, createOrganization, email, organizationKey, rejection, um, unique, workos } from '../lib/roster.mjs';

const authz = workos.authorization;
/** A slug unique to this run (slugs are lower-case). */
const slug = (name) => unique(name).toLowerCase();

test('permissions: create, list, get, update and delete', async () => {
  const perm = slug('docs') + ':read';
  const created = await authz.createPermission({ slug: perm, name: 'Read documents', description: 'Every document' });
  assert.equal(created.object, 'permission');
  assert.match(created.id, /^perm_/);
  assert.equal(created.slug, perm);
  assert.equal(created.description, 'Every document');
  assert.equal(created.resourceTypeSlug, 'organization');
  assert.equal(created.system, false);

  const listed = await authz.listPermissions({ limit: 100 });
  assert.equal(listed.object, 'list');
  assert.ok('before' in listed.listMetadata && 'after' in listed.listMetadata);
  assert.ok(listed.data.some((p) => p.slug === 'members:manage' && p.system), 'the built-in permissions are there');
  const firstPage = await authz.listPermissions({ limit: 1, order: 'asc' });
  assert.equal(firstPage.data.length, 1);
  assert.ok(firstPage.listMetadata.after, 'a cursor to the next page');

  assert.deepEqual(await authz.getPermission(perm), created);
  const updated = await authz.updatePermission(perm, { name: 'Read docs', description: null });
  assert.equal(updated.name, 'Read docs');
  assert.equal(updated.description, null);

  const duplicate = await rejection(authz.createPermission({ slug: perm, name: 'Again' }));
  assert.equal(duplicate.status, 409);
  const invalid = await rejection(authz.createPermission({ slug: 'Not A Slug', name: '' }));
  assert.ok(invalid instanceof UnprocessableEntityException, `${invalid}`);
  assert.match(invalid.message, /slug_invalid[\s\S]*name_required/, 'each field is named');
  const builtIn = await rejection(authz.deletePermission('members:read'));
  assert.equal(builtIn.status, 409);

  await authz.deletePermission(perm);
  assert.ok((await rejection(authz.getPermission(perm))) instanceof NotFoundException);
});

test('environment roles: create, list, get, update, set and add permissions', async () => {
  const perm = slug('env') + ':write';
  await authz.createPermission({ slug: perm, name: 'Write' });
  const roleSlug = slug('env-role');
  const created = await authz.createEnvironmentRole({ slug: roleSlug, name: 'Env role', description: 'For tests' });
  assert.equal(created.object, 'role');
  assert.equal(created.type, 'EnvironmentRole');
  assert.deepEqual(created.permissions, []);
  assert.equal(created.resourceTypeSlug, 'organization');

  const roles = await authz.listEnvironmentRoles();
  assert.equal(roles.object, 'list');
  assert.deepEqual(roles.data.slice(0, 3).map((r) => r.slug), ['owner', 'admin', 'member']);
  assert.ok(roles.data.some((r) => r.slug === roleSlug));

  assert.equal((await authz.getEnvironmentRole(roleSlug)).id, created.id);
  const renamed = await authz.updateEnvironmentRole(roleSlug, { name: 'Renamed', description: null });
  assert.equal(renamed.name, 'Renamed');
  assert.equal(renamed.description, null);
  const set = await authz.setEnvironmentRolePermissions(roleSlug, { permissions: [perm] });
  assert.deepEqual(set.permissions, [perm]);
  const added = await authz.addEnvironmentRolePermission(roleSlug, { permissionSlug: 'members:read' });
  assert.deepEqual(added.permissions, ['members:read', perm].sort());

  const unknown = await rejection(authz.addEnvironmentRolePermission(roleSlug, { permissionSlug: 'no:such' }));
  assert.ok(unknown instanceof UnprocessableEntityException, `${unknown}`);
  assert.ok((await rejection(authz.getEnvironmentRole(slug('missing')))) instanceof NotFoundException);
  const ownerLoses = await rejection(authz.setEnvironmentRolePermissions('owner', { permissions: [] }));
  assert.equal(ownerLoses.status, 409, 'the owner role keeps what the security rules need');
  const missingName = await rejection(authz.createEnvironmentRole({ slug: slug('nameless') }));
  assert.ok(missingName instanceof UnprocessableEntityException);

  // Deleting a permission takes it from the roles that had it.
  await authz.deletePermission(perm);
  assert.deepEqual((await authz.getEnvironmentRole(roleSlug)).permissions, ['members:read']);
});

test('organization roles: create (slug optional), list, get, update, permissions and delete', async () => {
  const org = await createOrganization('Authz roles');
  const perm = slug('org') + ':read';
  await authz.createPermission({ slug: perm, name: 'Read' });

  const named = await authz.createOrganizationRole(org.id, { name: 'Report Viewer' });
  assert.equal(named.type, 'OrganizationRole');
  assert.equal(named.slug, 'report-viewer', 'a slug is made from the name');
  const roleSlug = slug('org-role');
  const created = await authz.createOrganizationRole(org.id, { slug: roleSlug, name: 'Org role' });
  assert.equal(created.type, 'OrganizationRole');

  const list = await authz.listOrganizationRoles(org.id);
  const types = Object.fromEntries(list.data.map((r) => [r.slug, r.type]));
  assert.equal(types.member, 'EnvironmentRole', 'the environment roles are listed too');
  assert.equal(types[roleSlug], 'OrganizationRole');
  assert.equal((await authz.getOrganizationRole(org.id, roleSlug)).id, created.id);
  assert.equal((await authz.getOrganizationRole(org.id, 'member')).type, 'EnvironmentRole');

  const updated = await authz.updateOrganizationRole(org.id, roleSlug, { name: 'Org role 2', description: 'Two' });
  assert.equal(updated.name, 'Org role 2');
  assert.equal(updated.description, 'Two');
  assert.deepEqual((await authz.setOrganizationRolePermissions(org.id, roleSlug, { permissions: [perm] })).permissions, [perm]);
  const added = await authz.addOrganizationRolePermission(org.id, roleSlug, { permissionSlug: 'members:read' });
  assert.deepEqual(added.permissions, ['members:read', perm].sort());
  await authz.removeOrganizationRolePermission(org.id, roleSlug, { permissionSlug: perm });
  assert.deepEqual((await authz.getOrganizationRole(org.id, roleSlug)).permissions, ['members:read']);
  const notHeld = await rejection(authz.removeOrganizationRolePermission(org.id, roleSlug, { permissionSlug: perm }));
  assert.ok(notHeld instanceof NotFoundException);

  await authz.deleteOrganizationRole(org.id, named.slug);
  assert.ok((await rejection(authz.getOrganizationRole(org.id, named.slug))) instanceof NotFoundException);
  assert.ok((await rejection(authz.listOrganizationRoles('org_01H0000000000000000000000Z'))) instanceof NotFoundException);
});

test('a role held by members is not deleted: 409 says how many hold it', async () => {
  const org = await createOrganization('Authz held');
  const roleSlug = slug('held');
  await authz.createOrganizationRole(org.id, { slug: roleSlug, name: 'Held' });
  for (const name of ['ada', 'bob']) {
    const user = await um.createUser({ email: email(`held-${name}`) });
    const membership = await um.createOrganizationMembership({ userId: user.id, organizationId: org.id });
    await authz.assignRole({ organizationMembershipId: membership.id, roleSlug, resourceId: org.id });
  }
  const held = await rejection(authz.deleteOrganizationRole(org.id, roleSlug));
  assert.equal(held.status, 409);
  assert.match(held.message, /2 members hold it/);
});

test('role assignments and check', async () => {
  const org = await createOrganization('Authz assignments');
  const perm = slug('reports') + ':read';
  await authz.createPermission({ slug: perm, name: 'Read reports' });
  const roleSlug = slug('analyst');
  await authz.createOrganizationRole(org.id, { slug: roleSlug, name: 'Analyst' });
  await authz.setOrganizationRolePermissions(org.id, roleSlug, { permissions: [perm] });
  const user = await um.createUser({ email: email('analyst') });
  const membership = await um.createOrganizationMembership({ userId: user.id, organizationId: org.id });
  const organizationMembershipId = membership.id;

  const before = await authz.check({ organizationMembershipId, permissionSlug: perm, resourceId: org.id });
  assert.deepEqual(before, { authorized: false });

  const assignment = await authz.assignRole({
    organizationMembershipId,
    roleSlug,
    resourceExternalId: org.id,
    resourceTypeSlug: 'organization',
  });
  assert.equal(assignment.object, 'role_assignment');
  assert.match(assignment.id, /^role_assignment_/);
  assert.equal(assignment.role.slug, roleSlug);
  assert.equal(assignment.resource.id, org.id);
  assert.equal(assignment.resource.resourceTypeSlug, 'organization');
  assert.deepEqual(await authz.check({ organizationMembershipId, permissionSlug: perm, resourceId: org.id }), { authorized: true });
  assert.deepEqual(
    await authz.check({ organizationMembershipId, permissionSlug: perm, resourceExternalId: org.id, resourceTypeSlug: 'organization' }),
    { authorized: true },
  );
  const unknownPermission = await rejection(authz.check({ organizationMembershipId, permissionSlug: 'no:such', resourceId: org.id }));
  assert.ok(unknownPermission instanceof NotFoundException);
  const elsewhere = await rejection(authz.check({ organizationMembershipId, permissionSlug: perm, resourceId: 'authz_resource_x' }));
  assert.ok(elsewhere instanceof NotFoundException);

  const listed = await authz.listRoleAssignments({ organizationMembershipId });
  assert.deepEqual(listed.data.map((a) => a.role.slug).sort(), ['member', roleSlug].sort());
  assert.ok('after' in listed.listMetadata);
  const again = await rejection(authz.assignRole({ organizationMembershipId, roleSlug, resourceId: org.id }));
  assert.equal(again.status, 409);
  const unknownRole = await rejection(authz.assignRole({ organizationMembershipId, roleSlug: slug('nope'), resourceId: org.id }));
  assert.ok(unknownRole instanceof UnprocessableEntityException, `${unknownRole}`);

  const memberAssignment = listed.data.find((a) => a.role.slug === 'member');
  await authz.removeRoleAssignment({ organizationMembershipId, roleAssignmentId: memberAssignment.id });
  assert.deepEqual((await um.getOrganizationMembership(organizationMembershipId)).roles.map((r) => r.slug), [roleSlug]);
  const lastRole = await rejection(authz.removeRole({ organizationMembershipId, roleSlug, resourceId: org.id }));
  assert.ok(lastRole instanceof UnprocessableEntityException, 'a membership keeps one role');
  await authz.assignRole({ organizationMembershipId, roleSlug: 'member', resourceId: org.id });
  await authz.removeRole({ organizationMembershipId, roleSlug, resourceId: org.id });
  assert.deepEqual(await authz.check({ organizationMembershipId, permissionSlug: perm, resourceId: org.id }), { authorized: false });
  const gone = await rejection(authz.removeRoleAssignment({ organizationMembershipId, roleAssignmentId: memberAssignment.id }));
  assert.ok(gone instanceof NotFoundException);
  const noMembership = await rejection(authz.listRoleAssignments({ organizationMembershipId: 'om_01H0000000000000000000000Z' }));
  assert.ok(noMembership instanceof NotFoundException);
});

test('an organization key manages its own roles only, and no environment roles', async () => {
  const own = await createOrganization('Authz own');
  const other = await createOrganization('Authz other');
  const scoped = client(organizationKey(own.id)).authorization;

  const role = await scoped.createOrganizationRole(own.id, { slug: slug('own'), name: 'Own' });
  assert.equal(role.type, 'OrganizationRole');
  assert.ok((await rejection(scoped.createOrganizationRole(other.id, { slug: slug('x'), name: 'X' }))) instanceof NotFoundException);
  assert.ok((await rejection(scoped.listOrganizationRoles(other.id))) instanceof NotFoundException);
  const otherRole = await authz.createOrganizationRole(other.id, { slug: slug('theirs'), name: 'Theirs' });
  assert.ok((await rejection(scoped.getOrganizationRole(other.id, otherRole.slug))) instanceof NotFoundException);
  assert.ok((await rejection(scoped.deleteOrganizationRole(other.id, otherRole.slug))) instanceof NotFoundException);

  const environment = await rejection(scoped.createEnvironmentRole({ slug: slug('env'), name: 'Env' }));
  assert.equal(environment.status, 403);
  const ownerRole = await rejection(scoped.setEnvironmentRolePermissions('member', { permissions: [] }));
  assert.equal(ownerRole.status, 403);
  const permission = await rejection(scoped.createPermission({ slug: slug('p') + ':x', name: 'P' }));
  assert.equal(permission.status, 403);
  assert.ok((await scoped.listEnvironmentRoles()).data.length >= 3, 'reading them is fine');

  const stranger = await um.createUser({ email: email('authz-stranger') });
  const theirs = await um.createOrganizationMembership({ userId: stranger.id, organizationId: other.id });
  const check = await rejection(scoped.check({ organizationMembershipId: theirs.id, permissionSlug: 'members:read', resourceId: other.id }));
  assert.ok(check instanceof NotFoundException);
  await scoped.deleteOrganizationRole(own.id, role.slug);
});
