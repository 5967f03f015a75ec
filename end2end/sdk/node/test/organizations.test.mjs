// Organizations: idempotent create with domains, external ID and metadata; list by domains;
// read by id and external ID; update; the role lists (v8 and authorization paths); delete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException } from '@workos-inc/node';
import { createOrganization, domain, rejection, unique, workos } from '../lib/roster.mjs';

const orgs = workos.organizations;

test('createOrganization with an Idempotency-Key creates once and replays the answer', async () => {
  const request = {
    name: `Acme ${unique('idem')}`,
    domainData: [
      { domain: domain('acme'), state: 'verified' },
      { domain: domain('acme-eu'), state: 'pending' },
    ],
    externalId: unique('acme'),
    metadata: { plan: 'pro' },
  };
  const key = unique('idem-key');
  const first = await orgs.createOrganization(request, { idempotencyKey: key });
  const again = await orgs.createOrganization(request, { idempotencyKey: key });
  assert.equal(again.id, first.id);
  assert.deepEqual(again, first);

  assert.equal(first.object, 'organization');
  assert.match(first.id, /^org_[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(first.name, request.name);
  assert.equal(first.externalId, request.externalId);
  assert.deepEqual(first.metadata, { plan: 'pro' });
  assert.equal(first.allowProfilesOutsideOrganization, false);
  assert.deepEqual(
    first.domains.map((d) => [d.object, d.domain, d.state, d.organizationId]).sort(),
    [
      ['organization_domain', domain('acme'), 'verified', first.id],
      ['organization_domain', domain('acme-eu'), 'pending', first.id],
    ].sort(),
  );
  for (const d of first.domains) assert.match(d.id, /^org_domain_/);

  const listed = await orgs.listOrganizations({ domains: [domain('acme')] });
  assert.deepEqual(listed.data.map((o) => o.id), [first.id], 'the replay did not create a second organization');

  // The same key with a different request is refused rather than replayed.
  const reused = await rejection(orgs.createOrganization({ ...request, name: 'Other' }, { idempotencyKey: key }));
  assert.ok(reused.status >= 400 && reused.status < 500, `${reused}`);
  // Without a key, a second create is a second organization (no external ID, so no clash).
  const plain = { name: `Twin ${unique('twin')}` };
  const [a, b] = [await orgs.createOrganization(plain), await orgs.createOrganization(plain)];
  assert.notEqual(a.id, b.id);
});

test('listOrganizations filters by any of several domains', async () => {
  const north = await createOrganization('North', { domainData: [{ domain: domain('north'), state: 'verified' }] });
  const south = await createOrganization('South', { domainData: [{ domain: domain('south'), state: 'verified' }] });
  await createOrganization('West', { domainData: [{ domain: domain('west'), state: 'verified' }] });
  const both = await orgs.listOrganizations({ domains: [domain('north'), domain('south')] });
  assert.deepEqual(new Set(both.data.map((o) => o.id)), new Set([north.id, south.id]));
  assert.equal(both.listMetadata.after, null);
  const none = await orgs.listOrganizations({ domains: [domain('nowhere')] });
  assert.deepEqual(none.data, []);
});

test('get, get by external id, update, delete', async () => {
  const externalId = unique('globex');
  const created = await createOrganization('Globex', {
    externalId,
    metadata: { tier: 'gold', region: 'eu' },
    domainData: [{ domain: domain('globex'), state: 'verified' }],
  });
  assert.deepEqual(await orgs.getOrganization(created.id), created);
  assert.deepEqual(await orgs.getOrganizationByExternalId(externalId), created);

  const renamed = await orgs.updateOrganization({
    organization: created.id,
    name: `Globex Two ${externalId}`,
    metadata: { tier: 'platinum', region: 'eu' },
    domainData: [{ domain: domain('globex-two'), state: 'pending' }],
    stripeCustomerId: 'cus_123',
  });
  assert.equal(renamed.id, created.id);
  assert.equal(renamed.name, `Globex Two ${externalId}`);
  assert.deepEqual(renamed.metadata, { tier: 'platinum', region: 'eu' });
  assert.deepEqual(renamed.domains.map((d) => [d.domain, d.state]), [[domain('globex-two'), 'pending']]);
  assert.equal(renamed.stripeCustomerId, 'cus_123');
  assert.equal(renamed.externalId, externalId, 'fields left out stay as they were');
  assert.deepEqual(await orgs.getOrganization(created.id), renamed);
  assert.deepEqual((await orgs.listOrganizations({ domains: [domain('globex')] })).data, []);

  const clash = await rejection(createOrganization('Clash', { externalId }));
  assert.equal(clash.name, 'ConflictException', `${clash}`);
  assert.equal(clash.status, 409, 'external IDs are unique');

  const newExternal = unique('globex-new');
  const moved = await orgs.updateOrganization({ organization: created.id, externalId: newExternal });
  assert.equal(moved.externalId, newExternal);
  assert.equal((await orgs.getOrganizationByExternalId(newExternal)).id, created.id);
  assert.ok((await rejection(orgs.getOrganizationByExternalId(externalId))) instanceof NotFoundException);

  // null clears the nullable fields.
  const cleared = await orgs.updateOrganization({ organization: created.id, externalId: null, stripeCustomerId: null });
  assert.equal(cleared.externalId, null);
  assert.equal(cleared.stripeCustomerId, null);
  assert.ok((await rejection(orgs.getOrganizationByExternalId(newExternal))) instanceof NotFoundException);
  await orgs.updateOrganization({ organization: created.id, externalId: newExternal });

  await orgs.deleteOrganization(created.id);
  const gone = await rejection(orgs.getOrganization(created.id));
  assert.ok(gone instanceof NotFoundException, `${gone}`);
  assert.ok((await rejection(orgs.getOrganizationByExternalId(newExternal))) instanceof NotFoundException);
  assert.ok((await rejection(orgs.updateOrganization({ organization: created.id, name: 'x' }))) instanceof NotFoundException);
});

test('organization roles: organizations.listOrganizationRoles and authorization.listOrganizationRoles', async () => {
  const org = await createOrganization('Roles');
  const roles = await orgs.listOrganizationRoles({ organizationId: org.id });
  assert.equal(roles.object, 'list');
  // The built-in roles come first; environment roles other suites create follow them.
  assert.deepEqual(roles.data.slice(0, 3).map((r) => r.slug), ['owner', 'admin', 'member']);
  for (const role of roles.data) {
    assert.equal(role.object, 'role');
    assert.ok(role.id && role.name && Array.isArray(role.permissions), JSON.stringify(role));
    assert.ok(['EnvironmentRole', 'OrganizationRole'].includes(role.type), role.type);
  }
  assert.ok(roles.data[0].permissions.includes('members:manage'));

  assert.equal(typeof workos.authorization?.listOrganizationRoles, 'function', 'v8 has authorization.listOrganizationRoles');
  const same = await workos.authorization.listOrganizationRoles(org.id);
  assert.deepEqual(same.data.slice(0, 3).map((r) => r.slug), ['owner', 'admin', 'member']);

  const missing = 'org_01H5JQDV7R7ATEYZDEG0W5PRYS';
  assert.ok((await rejection(orgs.listOrganizationRoles({ organizationId: missing }))) instanceof NotFoundException);
  assert.ok((await rejection(workos.authorization.listOrganizationRoles(missing))) instanceof NotFoundException);
});
