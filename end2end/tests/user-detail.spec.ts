// The user detail page (/users/{id}), opened from the users table: the profile editor with
// its metadata rows, roles per organization, sessions, account actions and activity; and
// what an organization admin may not do there.
import { Browser, expect, Page, test } from '@playwright/test';
import { ADMIN, DEMO_PASSWORD, ORG_ADMIN, axeClean, failOnPageErrors, hydrated, signIn, signInWithoutJavaScript } from './helpers';

/** A plain member of Acme only, whom no other spec touches. */
const CYRUS = { name: 'Cyrus Tehrani', email: 'cyrus.tehrani@acme.test', search: 'tehrani' };

/** Opens a user's page from the users table, as people do. */
async function openFromTable(page: Page, search: string, name: string) {
  await page.goto(`/users?q=${search}`);
  await hydrated(page);
  await page.getByRole('link', { name }).click();
  await expect(page).toHaveURL(/\/users\/user_[0-9A-Z]+/);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await hydrated(page);
}

/** Signs the user in elsewhere, so they have a dashboard session to list and end. */
async function signInElsewhere(browser: Browser, email: string) {
  const context = await browser.newContext();
  const other = await context.newPage();
  await signIn(other, { email, password: DEMO_PASSWORD });
  return context;
}

function notice(page: Page) {
  return page.locator('.alert-success');
}

test('a platform admin edits the profile, roles and sessions, and reads the activity', async ({ page, browser }) => {
  test.setTimeout(90_000);
  const noErrors = failOnPageErrors(page);
  const elsewhere = await signInElsewhere(browser, CYRUS.email);
  await signIn(page, ADMIN);
  await openFromTable(page, CYRUS.search, CYRUS.name);
  for (const heading of ['Profile', 'Memberships', 'Sessions', 'Account', 'Activity']) {
    await expect(page.getByRole('heading', { level: 2, name: heading })).toBeVisible();
  }

  // The profile: a bad metadata key is reported next to the metadata, then a good one saves.
  await page.getByLabel('External ID').fill('crm-4711');
  await page.getByLabel('Key 1').fill('k'.repeat(41));
  await page.getByLabel('Value 1').fill('x');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.locator('#profile-metadata-error')).toContainText('40 characters');
  await expect(page.getByLabel('Key 1')).toHaveAttribute('aria-invalid', 'true');
  await page.getByLabel('Key 1').fill('team');
  await page.getByLabel('Value 1').fill('platform');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(notice(page)).toHaveText(`Saved ${CYRUS.name}'s profile.`);
  await expect(page.getByLabel('Key 1')).toHaveValue('team');
  await expect(page.getByLabel('Key 2')).toHaveValue('');
  await expect(page.getByLabel('External ID')).toHaveValue('crm-4711');

  // Roles are assigned per organization.
  const acme = page.locator('tr[data-membership]', { has: page.locator('th', { hasText: 'Acme Corporation' }) });
  await acme.getByRole('checkbox', { name: 'Member' }).uncheck();
  await acme.getByRole('checkbox', { name: 'Admin' }).check();
  await acme.getByRole('button', { name: 'Save roles in Acme Corporation' }).click();
  await expect(notice(page)).toHaveText('Roles in Acme Corporation are now: admin.');

  // Sessions: the one opened elsewhere is listed as a dashboard session, and ends.
  const session = page.locator('tr[data-session]').first();
  await expect(session).toContainText('Dashboard');
  await expect(session).toContainText('Acme Corporation');
  await expect(session).toContainText('Active');
  await session.getByRole('button', { name: /^End the session/ }).click();
  await expect(notice(page)).toHaveText('The session was ended.');
  await expect(page.locator('tr[data-session]').first()).toContainText('Ended');

  await page.getByRole('button', { name: 'Send password reset link' }).click();
  await expect(notice(page)).toHaveText(`A password reset link is on its way to ${CYRUS.email}.`);

  // The activity reads as sentences with names, newest first.
  const activity = page.locator('ol.activity li');
  await expect(activity.first()).toContainText(`A password reset link was sent to ${CYRUS.name}`);
  await expect(page.locator('ol.activity')).toContainText(
    `Roster Admin changed ${CYRUS.name}'s role in Acme Corporation to admin`,
  );
  await expect(page.locator('ol.activity')).toContainText(`Roster Admin ended a session of ${CYRUS.name}`);
  await expect(page.locator('ol.activity')).toContainText(`Roster Admin changed ${CYRUS.name}'s external ID and metadata`);

  await page.emulateMedia({ colorScheme: 'light' });
  await axeClean(page, 'the user page (light)');
  await page.screenshot({ path: test.info().outputPath('user-detail-light.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await axeClean(page, 'the user page (dark)');
  await page.screenshot({ path: test.info().outputPath('user-detail-dark.png'), fullPage: true });
  await elsewhere.close();
  noErrors();
});

test('several roles in one organization are saved, or refused next to the roles', async ({ page }) => {
  await signIn(page, ADMIN);
  await openFromTable(page, CYRUS.search, CYRUS.name);
  const acme = page.locator('tr[data-membership]', { has: page.locator('th', { hasText: 'Acme Corporation' }) });
  await acme.getByRole('checkbox', { name: 'Admin' }).check();
  await acme.getByRole('checkbox', { name: 'Member' }).check();
  await acme.getByRole('button', { name: 'Save roles in Acme Corporation' }).click();
  // Whether several roles are allowed is the environment's choice; either way the answer is
  // shown where it belongs.
  await expect(notice(page).or(acme.locator('.field-error:not(:empty)'))).toBeVisible();
});

test('a platform admin sees every membership and deletes a user after typing their email', async ({ page }) => {
  test.setTimeout(60_000);
  await signIn(page, ADMIN);
  // Liam is in Acme and Globex.
  await openFromTable(page, 'nguyen', 'Liam Nguyen');
  const organizations = page.locator('tr[data-membership] th');
  await expect(organizations).toHaveCount(2);
  await expect(organizations.filter({ hasText: 'Acme Corporation' })).toHaveCount(1);
  await expect(organizations.filter({ hasText: 'Globex Inc' })).toHaveCount(1);

  await openFromTable(page, 'aziz', 'Dalia Aziz');
  await page.getByText('Delete user…').click();
  await page.getByLabel('Type dalia.aziz@acme.test to confirm').fill('dalia@acme.test');
  await page.getByRole('button', { name: 'Delete this user' }).click();
  await expect(page.locator('#confirm-email-error')).toHaveText('Type dalia.aziz@acme.test to confirm.');
  await axeClean(page, 'the delete confirmation');
  await page.getByLabel('Type dalia.aziz@acme.test to confirm').fill('dalia.aziz@acme.test');
  await page.getByRole('button', { name: 'Delete this user' }).click();
  await expect(page).toHaveURL(/\/users\?deleted=1/);
  await page.goto('/users?q=aziz');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'No members match' })).toBeVisible();
});

test('an organization admin sees their organization only and may not touch owners or passwords', async ({ page }) => {
  test.setTimeout(60_000);
  const noErrors = failOnPageErrors(page);
  await signIn(page, ORG_ADMIN);

  // Amara is also in Globex, which is not this admin's to see.
  await openFromTable(page, 'larsen', 'Amara Larsen');
  await expect(page.locator('tr[data-membership] th')).toHaveText(['Acme Corporation']);
  await expect(page.getByText('Only platform admins can set a password or delete a user.')).toBeVisible();
  await expect(page.getByLabel('Set a password')).toHaveCount(0);
  await expect(page.getByText('Delete user…')).toHaveCount(0);
  // Amara is shared with Globex, so her credentials are not Acme's to reset.
  await page.getByRole('button', { name: 'Send password reset link' }).click();
  await expect(page.getByRole('alert')).toContainText('also belongs to another organization');
  await page.screenshot({ path: test.info().outputPath('user-detail-admin-refused.png'), fullPage: true });

  // An owner's roles and membership are locked for an admin.
  await openFromTable(page, 'okafor', 'Olivia Okafor');
  const owner = page.locator('tr[data-membership]').first();
  await expect(owner).toContainText('Only owners can change an owner.');
  await expect(owner.getByRole('checkbox')).toHaveCount(0);
  await expect(owner.getByRole('button')).toHaveCount(0);
  await axeClean(page, "an owner's page seen by an admin");

  // The owner role is not offered to an admin on anyone's page.
  await openFromTable(page, CYRUS.search, CYRUS.name);
  const acme = page.locator('tr[data-membership]').first();
  await expect(acme.getByRole('checkbox', { name: 'Owner' })).toHaveCount(0);

  // Someone out of reach is simply not found.
  await page.goto('/users/user_01H5JQDV7R7ATEYZDEG0W5PRYS');
  await expect(page.getByRole('heading', { level: 1, name: 'User not found' })).toBeVisible();
  noErrors();
});

test('the profile form works before the app has loaded', async ({ browser }) => {
  const { context, page } = await signInWithoutJavaScript(browser);
  await page.goto('/users?q=tehrani');
  await page.getByRole('link', { name: CYRUS.name }).click();
  await page.getByLabel('Last name').fill('Tehrani-Nour');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.waitForURL(/\/users\/user_/);
  await page.reload();
  await expect(page.getByLabel('Last name')).toHaveValue('Tehrani-Nour');
  await context.close();
});
