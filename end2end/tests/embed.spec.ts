// The embedded users table (/embed/users?token=…), Roster's own answer for apps without React:
// framed by the widgets app's origin (an allowed origin), with a token the official Node SDK
// gets, and driven as a person would.
import { test, expect } from '@playwright/test';
import { baseURL, widgetsURL } from '../playwright.config';
import { axeClean, failOnPageErrors, hydrated, screenshots } from './helpers';
import { allowWidgetsOrigin, organizationNamed, runEmail, sdkMember, um, workos } from './widgets';

test.describe.configure({ mode: 'serial', timeout: 60_000 });

/** A users-table token for the seeded Acme admin, as an app's backend gets it. */
async function adminToken(organizationId: string) {
  const [liam] = (await um.listUsers({ email: 'liam.nguyen@acme.test' })).data;
  return workos.widgets.getToken({ organizationId, userId: liam.id, scopes: ['widgets:users-table:manage'] });
}

test('an app frames the embedded table, which searches, invites, changes a role and removes', async ({ page, browser }) => {
  const noErrors = failOnPageErrors(page);
  const restore = await allowWidgetsOrigin(browser);
  try {
    const acme = await organizationNamed('Acme Corporation');
    const target = await sdkMember('embed-target', acme, { firstName: 'Embed', lastName: 'Target' });
    const token = await adminToken(acme);
    // A page of the app's own origin frames Roster's table.
    await page.goto(`${widgetsURL}/`);
    const src = `${baseURL}/embed/users?token=${encodeURIComponent(token)}&accent=%23663399&radius=4`;
    await page.evaluate((src) => {
      const frame = document.createElement('iframe');
      frame.src = src;
      frame.title = 'Members';
      frame.style.width = '1100px';
      frame.style.height = '900px';
      document.body.replaceChildren(frame);
    }, src);
    const frame = page.frameLocator('iframe[title="Members"]');
    await expect(frame.locator('body[data-hydrated="true"]')).toHaveCount(1, { timeout: 15_000 });
    await expect(frame.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
    await expect(frame.locator('table.data tbody tr').first()).toBeVisible();

    // Search narrows the table to the one member.
    await frame.getByLabel('Search members').fill(target.email);
    await expect(frame.locator('table.data tbody tr')).toHaveCount(1);
    await expect(frame.locator('table.data tbody tr')).toContainText('Embed Target');

    // Change the role: the row's select, announced once done, and stored.
    await frame.getByLabel('Role of Embed Target').selectOption('admin');
    await expect(frame.locator('.alert-success')).toHaveText('Embed Target is now admin.');
    const [membership] = (await um.listOrganizationMemberships({ userId: target.id, organizationId: acme })).data;
    expect(membership.role.slug).toBe('admin');

    // Remove them.
    await frame.getByRole('button', { name: 'Remove: Embed Target' }).click();
    await expect(frame.locator('.alert-success')).toHaveText('Removed Embed Target.');
    await expect(frame.getByRole('heading', { name: 'No members found' })).toBeVisible();

    // Invite someone: they appear as invited, and the invitation can be revoked.
    const invited = runEmail('embed-invited');
    await frame.getByLabel('Search members').fill('');
    await frame.getByLabel('Email').fill(invited);
    await frame.getByRole('button', { name: 'Invite' }).click();
    await expect(frame.locator('.alert-success')).toHaveText(`Invited ${invited}.`);
    const invitedRow = frame.locator('table.data tbody tr', { hasText: invited });
    await expect(invitedRow).toContainText('Invited');
    await invitedRow.getByRole('button', { name: `Resend: ${invited}` }).click();
    await expect(frame.locator('.alert-success')).toHaveText(`Sent the invitation to ${invited} again.`);
    await invitedRow.getByRole('button', { name: `Revoke: ${invited}` }).click();
    await expect(frame.locator('.alert-success')).toHaveText(`Revoked the invitation of ${invited}.`);
    await expect(frame.locator('table.data tbody tr', { hasText: invited })).toHaveCount(0);

    // The same invitation again is refused with the API's message, next to nothing lost.
    await frame.getByLabel('Email').fill('liam.nguyen@acme.test');
    await frame.getByRole('button', { name: 'Invite' }).click();
    await expect(frame.getByRole('alert')).toContainText('User already exists');
  } finally {
    await restore();
  }
  noErrors();
});

test('the embedded table is accessible, themed, and says what is missing without a token', async ({ page }) => {
  const acme = await organizationNamed('Acme Corporation');
  const token = await adminToken(acme);
  await page.goto(`/embed/users?token=${encodeURIComponent(token)}&accent=%23663399`);
  await hydrated(page);
  await expect(page.locator('table.data tbody tr').first()).toBeVisible();
  // The app's accent colour reaches the buttons through the dashboard's variables.
  const accent = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());
  expect(accent).toBe('#663399');
  await axeClean(page, 'embedded users table');
  await screenshots(page, 'embed-users');

  await page.goto('/embed/users');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'No access' })).toBeVisible();
  await axeClean(page, 'embedded users table without a token');
});
