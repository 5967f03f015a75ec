import { expect, test } from '@playwright/test';
import {
  ORG_ADMIN,
  ORG_OWNER,
  axeClean,
  failOnPageErrors,
  hydrated,
  rows,
  screenshots,
  serverFunction,
  signIn,
  signInWithoutJavaScript,
} from './helpers';

test.describe.configure({ mode: 'serial' });
// These walk whole paths (and scan and photograph pages on the way): more than the default 30 s.
test.setTimeout(120_000);

test('a platform admin creates, finds, edits, verifies a domain of and deletes an organization', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organizations' }).click();
  await expect(page).toHaveURL(/\/orgs$/);
  await expect(page.getByRole('heading', { name: 'Organizations', level: 1 })).toBeVisible();
  const acme = page.locator('table.data tbody tr', { has: page.getByRole('link', { name: 'Acme Corporation' }) });
  await expect(acme).toBeVisible();
  expect(Number(await acme.locator('td.numeric').innerText())).toBeGreaterThanOrEqual(50);
  await screenshots(page, 'organizations-list');
  await axeClean(page, '/orgs');

  // Create: a blank name and a metadata key over 40 characters are refused next to their fields.
  await page.getByRole('link', { name: 'New organization' }).click();
  await expect(page).toHaveURL(/\/orgs\/new$/);
  await hydrated(page);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page.locator('#org-name-error')).not.toBeEmpty();
  await expect(page.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Name', { exact: true }).fill('Initech');
  await page.getByLabel('External ID').fill('ext-initech');
  await page.getByLabel('Key 1').fill('tier');
  await page.getByLabel('Value 1').fill('gold');
  await page.getByRole('button', { name: 'Add a row' }).click();
  await page.getByLabel('Key 2').fill('k'.repeat(41));
  await page.getByLabel('Value 2').fill('eu');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page.locator('#metadata-error')).toContainText('1 to 40 characters');
  await screenshots(page, 'organizations-new-with-errors');
  await axeClean(page, '/orgs/new with errors');
  await page.getByLabel('Key 2').fill('region');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(/\/orgs\/org_[0-9A-Z]+$/);
  await expect(page.getByRole('heading', { name: 'Initech', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Key 1')).toHaveValue('region');
  await expect(page.getByLabel('Value 2')).toHaveValue('gold');
  const detail = page.url();

  // Search by name and by domain; the state is in the URL and survives a reload.
  await page.goto('/orgs');
  await hydrated(page);
  await page.getByLabel('Search').fill('initech');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=initech/);
  await expect(rows(page)).toHaveCount(1);
  await page.reload();
  await hydrated(page);
  await expect(rows(page)).toHaveCount(1);
  await expect(page.getByLabel('Search')).toHaveValue('initech');
  await page.getByLabel('Search').fill('zzz-nothing');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('heading', { name: 'No organizations match' })).toBeVisible();
  await axeClean(page, '/orgs empty');

  // Edit.
  await page.goto(detail);
  await hydrated(page);
  await page.getByLabel('Name', { exact: true }).fill('Initech Corp');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved Initech Corp.' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Initech Corp', level: 1 })).toBeVisible();

  // A domain: the DNS record to publish, "Check now" (nothing published), then verified by hand.
  await page.getByLabel('Add a domain').fill('gmail.com');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await expect(page.locator('#new-domain-error')).toContainText('public email provider');
  await page.getByLabel('Add a domain').fill('initech.example');
  await page.getByRole('button', { name: 'Add domain' }).click();
  const domain = page.locator('li.domain-item[data-domain="initech.example"]');
  await expect(domain.locator('.badge')).toHaveText('Pending');
  await expect(page.getByLabel('Add a domain')).toHaveValue('');
  await expect(domain.locator('.dns-record')).toContainText('verification_token=');
  await screenshots(page, 'organizations-detail-pending-domain');
  await axeClean(page, '/orgs/{id} with a pending domain');
  await domain.getByRole('button', { name: 'Check now initech.example' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'No verification record found' })).toBeVisible();
  await domain.getByRole('button', { name: 'Mark verified initech.example' }).click();
  await expect(domain.locator('.badge')).toHaveText('Verified');
  await expect(domain).toContainText('Marked verified, without DNS.');
  await expect(domain.locator('.dns-record')).toHaveCount(0);

  // Search finds it by its domain now.
  await page.goto('/orgs?q=initech.ex');
  await hydrated(page);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('Initech Corp');

  // Delete: the confirmation states what goes, and wants the name typed exactly.
  await page.goto(detail);
  await hydrated(page);
  await expect(page.getByText(/removes its 0 memberships and 0 invitations/)).toBeVisible();
  await page.getByLabel('Type Initech Corp to confirm').fill('Initech');
  await page.getByRole('button', { name: 'Delete this organization' }).click();
  await expect(page.locator('#confirm-name-error')).toContainText('Initech Corp');
  await page.getByLabel('Type Initech Corp to confirm').fill('Initech Corp');
  await page.getByRole('button', { name: 'Delete this organization' }).click();
  await expect(page).toHaveURL(/\/orgs$/);
  await page.goto('/orgs?q=initech');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'No organizations match' })).toBeVisible();
  noErrors();
});

test('the deletion states the member count of an organization with members', async ({ page }) => {
  await signIn(page);
  await page.goto('/orgs?q=acme');
  await hydrated(page);
  await page.getByRole('link', { name: 'Acme Corporation' }).click();
  await hydrated(page);
  const members = await page.locator('.page-head p.muted').innerText();
  const count = members.match(/(\d+) members/)![1];
  await expect(page.locator('.danger-zone')).toContainText(`removes its ${count} memberships`);
  await screenshots(page, 'organizations-acme');
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await axeClean(page, `/orgs/{acme} ${colorScheme}`);
  }
});

test('organization admins and owners cannot open the organizations page', async ({ page }) => {
  for (const who of [ORG_ADMIN, ORG_OWNER]) {
    await signIn(page, who);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organizations' })).toHaveCount(0);
    for (const path of ['/orgs', '/orgs/new']) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.getByRole('heading', { name: 'You need to be a platform admin' })).toBeVisible();
      await expect(page.locator('table.data')).toHaveCount(0);
      await expect(page.getByRole('button', { name: 'Create organization' })).toHaveCount(0);
    }
    // The server functions refuse too, whatever the page shows.
    const origin = new URL(page.url()).origin;
    const refused = await page.request.post('/api/create-org', {
      form: { name: 'Sneaky', external_id: '' },
      headers: { Origin: origin, Accept: 'application/json' },
    });
    expect(refused.status()).toBe(403);
    await axeClean(page, `/orgs/new as ${who.email}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
  }
});

test('the organization switcher offers a search once there are more than ten organizations', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  // A select while there are few.
  await expect(page.locator('select#organization-switcher')).toBeVisible();
  const made: string[] = [];
  for (let i = 0; i < 10; i++) {
    const response = await serverFunction(page, '/api/create-org', { name: `Switch Test ${String(i).padStart(2, '0')}`, external_id: '' });
    expect(response.status(), await response.text()).toBe(200);
    made.push((await response.json()).id);
  }
  try {
    await page.goto('/users');
    await hydrated(page);
    await expect(page.locator('select#organization-switcher')).toHaveCount(0);
    await page.locator('details.org-picker > summary').click();
    await page.getByLabel('Find an organization').fill('switch test 07');
    const options = page.locator('.org-picker-list button');
    await expect(options).toHaveCount(1);
    await screenshots(page, 'organizations-switcher-search');
    await axeClean(page, 'switcher open');
    await options.first().click();
    await expect(page.locator('details.org-picker > summary')).toContainText('Switch Test 07');
    // And back, from the whole list.
    await page.locator('details.org-picker > summary').click();
    await page.getByLabel('Find an organization').fill('acme');
    await page.locator('.org-picker-list button', { hasText: 'Acme Corporation' }).click();
    await expect(page.locator('details.org-picker > summary')).toContainText('Acme Corporation');
  } finally {
    for (const [i, id] of made.entries()) {
      const response = await serverFunction(page, '/api/delete-org', { organization_id: id, confirm_name: `Switch Test ${String(i).padStart(2, '0')}` });
      expect(response.status(), await response.text()).toBe(200);
    }
  }
  await page.reload();
  await hydrated(page);
  await expect(page.locator('select#organization-switcher')).toBeVisible();
  noErrors();
});

test('without JavaScript: create, then delete with the typed confirmation', async ({ browser }) => {
  const { context, page } = await signInWithoutJavaScript(browser);
  await page.goto('/orgs/new');
  await page.getByLabel('Name', { exact: true }).fill('Plain Form Inc');
  await page.getByLabel('Key 1').fill('source');
  await page.getByLabel('Value 1').fill('no-js');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(/\/orgs\/org_/);
  await expect(page.getByRole('heading', { name: 'Plain Form Inc', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Key 1')).toHaveValue('source');
  await page.getByLabel('Type Plain Form Inc to confirm').fill('Plain Form Inc');
  await page.getByRole('button', { name: 'Delete this organization' }).click();
  await expect(page).toHaveURL(/\/orgs$/);
  await expect(page.getByRole('link', { name: 'Plain Form Inc' })).toHaveCount(0);
  await context.close();
});
