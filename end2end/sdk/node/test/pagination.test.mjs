// autoPagination(): the SDK re-requests from the start with limit=100 and follows
// list_metadata.after until it is null. More than 100 users make it cross pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOrganization, email, inBatches, um } from '../lib/roster.mjs';

const COUNT = 120;

/** Asserts every id of `ours` appears exactly once in `seen`, and nothing repeats. */
function seenOnce(seen, ours) {
  const counts = new Map();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(repeated, [], 'no item appears twice');
  const missing = ours.filter((id) => !counts.has(id));
  assert.deepEqual(missing, [], 'every created item appears');
}

let users;
let org;

test(`create ${COUNT} users (no passwords) in one organization`, async () => {
  org = await createOrganization('Paging');
  const indexes = [...Array(COUNT).keys()];
  users = await inBatches(indexes, 12, async (i) => {
    const user = await um.createUser({ email: email(`page${String(i).padStart(3, '0')}`) });
    await um.createOrganizationMembership({ organizationId: org.id, userId: user.id });
    return user;
  });
  assert.equal(users.length, COUNT);
});

test('listUsers().autoPagination() over every user sees each created user exactly once, newest first', async () => {
  const all = await (await um.listUsers()).autoPagination();
  assert.ok(all.length >= COUNT, `${all.length} users`);
  const seen = all.map((u) => u.id);
  seenOnce(seen, users.map((u) => u.id));
  // IDs are time-ordered ULIDs: desc order means descending IDs.
  const sorted = [...seen].sort().reverse();
  assert.deepEqual(seen, sorted, 'order=desc (the SDK default) walks from newest to oldest');
});

test('listUsers({ organizationId }).autoPagination() returns exactly the members', async () => {
  const members = await (await um.listUsers({ organizationId: org.id })).autoPagination();
  assert.equal(members.length, COUNT);
  seenOnce(members.map((u) => u.id), users.map((u) => u.id));
});

test('listOrganizationMemberships({ organizationId }).autoPagination() returns every membership once', async () => {
  const memberships = await (await um.listOrganizationMemberships({ organizationId: org.id })).autoPagination();
  assert.equal(memberships.length, COUNT);
  assert.equal(new Set(memberships.map((m) => m.id)).size, COUNT);
  assert.deepEqual(new Set(memberships.map((m) => m.userId)), new Set(users.map((u) => u.id)));
});

test('manual pages of 100 end with after: null', async () => {
  const first = await um.listUsers({ organizationId: org.id, limit: 100 });
  assert.equal(first.data.length, 100);
  assert.ok(first.listMetadata.after);
  // autoPagination() with an explicit limit returns the first page only (SDK behaviour).
  assert.equal((await first.autoPagination()).length, 100);
  const second = await um.listUsers({ organizationId: org.id, limit: 100, after: first.listMetadata.after });
  assert.equal(second.data.length, COUNT - 100);
  assert.equal(second.listMetadata.after, null);
  seenOnce([...first.data, ...second.data].map((u) => u.id), users.map((u) => u.id));
});

test('a limit above 100 is refused with a 422 naming limit', async () => {
  await assert.rejects(um.listUsers({ limit: 101 }), (error) => {
    assert.equal(error.name, 'UnprocessableEntityException');
    assert.match(error.message, /limit_invalid/);
    return true;
  });
});
