import { expect, test } from '@playwright/test';
import { failOnPageErrors, hydrated, memberRow, rows, signIn } from './helpers';

test.describe.configure({ mode: 'serial' });

test('signing in shows the users table with the demo users', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByRole('heading', { name: 'Users' })).toBeVisible();
  await expect(rows(page)).toHaveCount(10);
  await expect(memberRow(page, 'Ivan Volkov')).toBeVisible();
  await expect(page.getByText('Everyone in Acme Corporation')).toBeVisible();
  noErrors();
});

test('search narrows the table and lives in the URL', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await page.getByLabel('Search').fill('nilss');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/q=nilss/);
  await expect(rows(page)).toHaveCount(1);
  await expect(memberRow(page, 'Erik Nilsson')).toBeVisible();

  await page.reload();
  await hydrated(page);
  await expect(rows(page)).toHaveCount(1);
  await expect(page.getByLabel('Search')).toHaveValue('nilss');

  await page.getByLabel('Search').fill('zzz-nobody');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('heading', { name: 'No members match' })).toBeVisible();
  await page.getByRole('link', { name: 'Clear filters' }).click();
  await expect(rows(page)).toHaveCount(10);
  noErrors();
});

test('contains search and sorting by email', async ({ page }) => {
  await signIn(page);
  await page.getByLabel('Search').fill('ilss');
  await page.getByLabel('Match').selectOption('contains');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/match=contains/);
  await expect(rows(page)).toHaveCount(1);
  await expect(memberRow(page, 'Erik Nilsson')).toBeVisible();

  await page.goto('/users?sort=email');
  await hydrated(page);
  await expect(page.getByLabel('Sort')).toHaveValue('email');
  const emails = await rows(page).locator('td:nth-child(3)').allInnerTexts();
  expect(emails).toEqual([...emails].sort());
  expect(emails[0]).toBe('admin@roster.test');
  await page.getByRole('link', { name: 'Next →' }).click();
  const next = await rows(page).locator('td:nth-child(3)').allInnerTexts();
  expect(next[0] > emails[emails.length - 1]).toBe(true);
});

test('paging goes forward and back, by link and by history', async ({ page }) => {
  await signIn(page);
  const firstPage = await rows(page).locator('th').allInnerTexts();
  await page.getByRole('link', { name: 'Next →' }).click();
  await expect(page).toHaveURL(/after=om_/);
  await expect(rows(page).first()).not.toHaveText(firstPage[0]);
  const secondPage = await rows(page).locator('th').allInnerTexts();
  expect(secondPage.filter((name) => firstPage.includes(name))).toEqual([]);

  await page.getByRole('link', { name: '← Previous' }).click();
  await expect(page).toHaveURL(/before=om_/);
  await expect(rows(page).locator('th')).toHaveText(firstPage);

  await page.goBack();
  await expect(rows(page).locator('th')).toHaveText(secondPage);

  await page.goto('/users');
  await hydrated(page);
  await page.getByLabel('Per page').selectOption('25');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/limit=25/);
  await expect(rows(page)).toHaveCount(25);
});

test('filters by status and role', async ({ page }) => {
  await signIn(page);
  await page.getByLabel('Status').selectOption('inactive');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(rows(page)).toHaveCount(1);
  await expect(memberRow(page, 'Mateo Tanaka')).toContainText('Deactivated');

  await page.goto('/users?role=admin');
  await hydrated(page);
  await expect(rows(page)).toHaveCount(4);
  for (const name of ['Liam Nguyen', 'Amara Larsen', 'Noah García', 'Sofia Rossi']) {
    await expect(memberRow(page, name)).toBeVisible();
  }
  await expect(page.getByLabel('Role', { exact: true })).toHaveValue('admin');
});

test('changing a role, and a refused change that changes nothing', async ({ page }) => {
  await signIn(page);
  await page.goto('/users?q=elena');
  await hydrated(page);
  await page.getByLabel('Role of Elena Mensah', { exact: true }).selectOption('admin');
  await page.getByRole('button', { name: 'Save role of Elena Mensah' }).click();
  await expect(page.getByRole('status')).toContainText('Elena Mensah now has the admin role.');
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Role of Elena Mensah', { exact: true })).toHaveValue('admin');

  // In Globex, Olivia Okafor is the only owner.
  await page.getByLabel('Organization').selectOption({ label: 'Globex Inc' });
  await page.getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByText('Everyone in Globex Inc')).toBeVisible();
  await page.getByLabel('Role of Olivia Okafor', { exact: true }).selectOption('member');
  await page.getByRole('button', { name: 'Save role of Olivia Okafor' }).click();
  await expect(page.getByRole('alert')).toContainText("You can't demote the last owner of Globex Inc");
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel('Role of Olivia Okafor', { exact: true })).toHaveValue('owner');

  await page.getByLabel('Organization').selectOption({ label: 'Acme Corporation' });
  await page.getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByText('Everyone in Acme Corporation')).toBeVisible();
});

test('deactivating and reactivating keeps the role', async ({ page }) => {
  await signIn(page);
  await page.goto('/users?q=hana');
  await hydrated(page);
  const row = memberRow(page, 'Hana Haddad');
  await expect(row).toContainText('Active');
  await row.getByRole('button', { name: 'Deactivate Hana Haddad' }).click();
  await expect(page.getByRole('status')).toContainText('Hana Haddad was deactivated.');
  await expect(row).toContainText('Deactivated');
  await row.getByRole('button', { name: 'Reactivate Hana Haddad' }).click();
  await expect(page.getByRole('status')).toContainText('Hana Haddad was reactivated.');
  await expect(row.locator('.badge')).toHaveText('Active');
  await expect(page.getByLabel('Role of Hana Haddad', { exact: true })).toHaveValue('member');
});

test('removing a member asks first', async ({ page }) => {
  await signIn(page);
  await page.goto('/users?q=omar');
  await hydrated(page);
  const row = memberRow(page, 'Omar Martin');
  await row.getByText('Remove…').click();
  await expect(row.getByText('Remove Omar Martin from the organization?')).toBeVisible();
  await row.getByRole('button', { name: 'Remove Omar Martin' }).click();
  await expect(page.getByRole('status')).toContainText('Omar Martin was removed from Acme Corporation.');
  await expect(page.getByRole('heading', { name: 'No members match' })).toBeVisible();
});

test('inviting, resending and revoking', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await page.getByRole('link', { name: 'Invitations' }).click();
  await expect(page).toHaveURL(/\/invitations$/);
  await expect(rows(page)).toHaveCount(3);

  await page.getByLabel('Email').fill('ada.new@e2e.test');
  await page.getByLabel('Role').selectOption('admin');
  await page.getByLabel('Expires after (days)').fill('5');
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('Invitation sent to ada.new@e2e.test.');
  const row = page.locator('tr', { hasText: 'ada.new@e2e.test' });
  await expect(row.locator('.badge')).toHaveText('Pending');
  await expect(row).toContainText('admin');

  await row.getByRole('button', { name: 'Resend invitation for ada.new@e2e.test' }).click();
  await expect(row.locator('.badge')).toHaveText('Pending');
  await row.getByRole('button', { name: 'Revoke invitation for ada.new@e2e.test' }).click();
  await expect(row.locator('.badge')).toHaveText('Revoked');
  await expect(row.getByRole('button', { name: /Revoke/ })).toHaveCount(0);
  noErrors();
});

test('invite errors appear next to their field', async ({ page }) => {
  await signIn(page);
  await page.goto('/invitations');
  await hydrated(page);
  const email = page.getByLabel('Email');

  await email.fill('not-an-email');
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await expect(page.locator('#invite-email-error')).toContainText('is not a valid email address');
  await expect(email).toHaveAttribute('aria-invalid', 'true');

  await email.fill('someone@e2e.test');
  await page.getByLabel('Expires after (days)').fill('31');
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await expect(page.locator('#invite-days-error')).toContainText('between 1 and 30 days');
  await expect(page.locator('#invite-email-error')).toBeEmpty();

  await email.fill('ivan.volkov@acme.test');
  await page.getByLabel('Expires after (days)').fill('7');
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await expect(page.locator('#invite-email-error')).toContainText('already a member');
  await expect(rows(page)).toHaveCount(4);
});

test('a platform admin creates and revokes an API key', async ({ page }) => {
  await signIn(page);
  await page.getByRole('link', { name: 'API keys' }).click();
  await expect(page).toHaveURL(/\/api-keys$/);
  await expect(page.locator('tr', { hasText: 'Development key' })).toBeVisible();
  await page.getByLabel('Name').fill('E2E service');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByRole('status')).toContainText('Copy this secret now');
  await expect(page.locator('code.secret')).toHaveText(/^sk_[A-Za-z0-9]{40}$/);
  const row = page.locator('tr', { hasText: 'E2E service' });
  await row.getByRole('button', { name: 'Revoke E2E service' }).click();
  await expect(row.locator('.badge')).toHaveText('Revoked');
});

test('signing out ends the session', async ({ page }) => {
  await signIn(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/users');
  await expect(page).toHaveURL(/\/login$/);
});
