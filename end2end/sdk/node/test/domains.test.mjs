// workos.organizationDomains: claim a domain for an organization, read it, start its DNS
// verification (no record is published here, so it stays pending) and release it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundException, UnprocessableEntityException } from '@workos-inc/node';
import { client, createOrganization, domain, organizationKey, rejection, workos } from '../lib/roster.mjs';

test('create, get, verify (pending without its TXT record) and delete a domain', async () => {
  const org = await createOrganization('Domains');
  const name = domain('claim');
  const created = await workos.organizationDomains.create({ domain: name, organizationId: org.id });
  assert.equal(created.object, 'organization_domain');
  assert.match(created.id, /^org_domain_/);
  assert.equal(created.domain, name);
  assert.equal(created.organizationId, org.id);
  assert.equal(created.state, 'pending');
  assert.equal(created.verificationStrategy, 'dns');
  assert.ok(created.verificationToken && created.verificationToken.length >= 20, 'a token to publish');

  const read = await workos.organizationDomains.get(created.id);
  assert.deepEqual(read, created);
  const organization = await workos.organizations.getOrganization(org.id);
  assert.deepEqual(organization.domains.map((d) => d.id), [created.id], 'the organization lists it');

  const checked = await workos.organizationDomains.verify(created.id);
  assert.equal(checked.state, 'pending');

  await workos.organizationDomains.delete(created.id);
  assert.ok((await rejection(workos.organizationDomains.get(created.id))) instanceof NotFoundException);
});

test('public email domains are refused, and other organizations see nothing', async () => {
  const org = await createOrganization('Domains public');
  const publicDomain = await rejection(workos.organizationDomains.create({ domain: 'gmail.com', organizationId: org.id }));
  assert.ok(publicDomain instanceof UnprocessableEntityException, `${publicDomain}`);

  const created = await workos.organizationDomains.create({ domain: domain('private'), organizationId: org.id });
  const other = await createOrganization('Domains other');
  const foreign = client(organizationKey(other.id));
  assert.ok((await rejection(foreign.organizationDomains.get(created.id))) instanceof NotFoundException);
  assert.ok((await rejection(foreign.organizationDomains.delete(created.id))) instanceof NotFoundException);
  const own = client(organizationKey(org.id));
  assert.equal((await own.organizationDomains.get(created.id)).id, created.id);
});
