// Bulk actions on the users table: tick rows (or take everything the search matches), run one
// action in one request, and read per row what was done and what was refused, and why. Every
// test puts back what it changed, so the specs after it see the seeded data.
import { expect, Page, test } from '@playwright/test';
import { ORG_ADMIN, axeClean, failOnPageErrors, hydrated, screenshots, signIn, signInWithoutJavaScript } from './helpers';

test.describe.configure({ mode: 'serial' });
// Each test takes light and dark screenshots on the way, which takes a while.
test.setTimeout(60_000);

/** The members table (not the report's table). */
function membersTable(page: Page) {
  return page.locator('table.data', { has: page.locator('caption', { hasText: /^Members$/ }) });
}

/** The report of the last bulk action. */
function report(page: Page) {
  return page.locator('section.bulk-report');
}

/** The report's row for one person. */
function reportRow(page: Page, name: string) {
  return report(page).locator('tbody tr', { has: page.locator('th', { hasText: name }) });
}

/** A row of the members table, by the person's name. */
function memberRow(page: Page, name: string) {
  return membersTable(page).locator('tbody tr', { has: page.locator('th', { hasText: name }) });
}

test('tick rows, deactivate them in one request, then reactivate everyone matching the search', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await page.goto('/users?q=ch');
  await hydrated(page);
  await expect(membersTable(page).locator('tbody tr')).toHaveCount(2);

  // The select-all box ticks every row, and the count follows.
  await page.getByLabel('Select every member on this page').check();
  await expect(page.getByLabel('Select Chloe Iyer')).toBeChecked();
  await expect(page.getByLabel('Select Jonas Chen')).toBeChecked();
  await expect(page.getByText('The ticked rows (2)')).toBeVisible();
  await page.getByLabel('Select Jonas Chen').uncheck();
  await expect(page.getByLabel('Select every member on this page')).not.toBeChecked();
  await page.getByLabel('Select Jonas Chen').check();
  await screenshots(page, 'bulk-ticked');

  let posts = 0;
  page.on('request', (request) => {
    if (request.url().endsWith('/api/bulk-members')) posts += 1;
  });
  await page.getByLabel('Action', { exact: true }).selectOption('deactivate');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(report(page).getByRole('heading')).toHaveText('Deactivate: 2 done');
  expect(posts).toBe(1);
  await expect(reportRow(page, 'Chloe Iyer')).toContainText('Deactivated.');
  await expect(reportRow(page, 'Jonas Chen')).toContainText('Done');
  await expect(memberRow(page, 'Chloe Iyer')).toContainText('Deactivated');
  await expect(memberRow(page, 'Jonas Chen')).toContainText('Deactivated');
  await expect(page.getByLabel('Select Chloe Iyer')).not.toBeChecked();
  await screenshots(page, 'bulk-report');
  await axeClean(page, 'report');

  // Everyone matching the search, resolved on the server: nothing is ticked this time.
  await page.getByLabel('Everyone the filters find, on every page').check();
  await page.getByLabel('Action', { exact: true }).selectOption('reactivate');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(report(page).getByRole('heading')).toHaveText('Reactivate: 2 done');
  await expect(memberRow(page, 'Chloe Iyer')).toContainText('Active');
  await expect(memberRow(page, 'Jonas Chen')).toContainText('Active');

  await page.getByRole('link', { name: 'Dismiss' }).click();
  await expect(report(page)).toHaveCount(0);

  // Without a choice, the form says what is missing, next to the field.
  await page.getByLabel('Action', { exact: true }).selectOption('');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(page.locator('#bulk-action-error')).toHaveText('Choose an action.');
  await expect(page.getByLabel('Action', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  noErrors();
});

test('an admin is refused on owners\' rows, and each refusal says why', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page, ORG_ADMIN);
  await page.goto('/users?role=owner');
  await hydrated(page);
  await expect(membersTable(page).locator('tbody tr')).toHaveCount(2);
  await page.getByLabel('Select every member on this page').check();
  await page.getByLabel('Action', { exact: true }).selectOption('deactivate');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(report(page).getByRole('heading')).toHaveText('Deactivate: 2 refused');
  await expect(reportRow(page, 'Olivia Okafor')).toContainText('Refused');
  await expect(reportRow(page, 'Olivia Okafor')).toContainText('Only owners can grant, change or remove the owner role.');
  await expect(reportRow(page, 'Roster Admin')).toContainText('Only owners');
  await expect(memberRow(page, 'Olivia Okafor')).toContainText('Active');
  // Admins are not offered the owner role in bulk either.
  await expect(page.getByLabel('Action', { exact: true }).locator('option', { hasText: 'Owner' })).toHaveCount(0);
  await screenshots(page, 'bulk-refused');
  await axeClean(page, 'refused');

  // A pending member whose invitation is gone gets a reason, not silence.
  await page.goto('/users?status=pending');
  await hydrated(page);
  await page.getByLabel('Select every member on this page').check();
  await page.getByLabel('Action', { exact: true }).selectOption('resend_invitation');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(reportRow(page, 'Yuki Petrov')).toContainText('Has no open invitation');
  noErrors();
});

test('the last owner stays, and you are not part of your own bulk action', async ({ page }) => {
  await signIn(page);
  // In Globex, Olivia Okafor is the only owner.
  await page.getByLabel('Organization').selectOption({ label: 'Globex Inc' });
  await page.getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByText('Everyone in Globex Inc')).toBeVisible();
  await page.goto('/users?q=o');
  await hydrated(page);
  await page.getByLabel('Select Olivia Okafor').check();
  await page.getByLabel('Action', { exact: true }).selectOption('remove');
  // Removing asks for one more tick; a refused request keeps the ticked rows.
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(page.locator('#bulk-confirm-error')).toContainText('Yes, remove them');
  await expect(page.getByLabel('Select Olivia Okafor')).toBeChecked();
  await page.getByLabel('Yes, remove them').check();
  await screenshots(page, 'bulk-confirm');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(reportRow(page, 'Olivia Okafor')).toContainText("You can't remove the last owner of Globex Inc.");
  await screenshots(page, 'bulk-last-owner');
  await expect(memberRow(page, 'Olivia Okafor')).toHaveCount(1);

  await page.goto('/users?role=admin');
  await hydrated(page);
  await page.getByLabel('Select every member on this page').check();
  await page.getByLabel('Action', { exact: true }).selectOption('deactivate');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(reportRow(page, 'Roster Admin')).toContainText("You can't include yourself in a bulk action");
  await expect(memberRow(page, 'Roster Admin')).toContainText('Active');

  await page.getByLabel('Organization').selectOption({ label: 'Acme Corporation' });
  await page.getByRole('button', { name: 'Switch' }).click();
  await expect(page.getByText('Everyone in Acme Corporation')).toBeVisible();
});

test('bulk actions work as a plain form before the app loads', async ({ browser }) => {
  const { context, page } = await signInWithoutJavaScript(browser);

  await page.goto('/users?q=fr');
  await expect(membersTable(page).locator('tbody tr')).toHaveCount(1);
  await page.getByLabel('Select Freya Silva').check();
  await page.getByLabel('Action', { exact: true }).selectOption({ label: 'Member' });
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(page).toHaveURL(/\/users\?q=fr&bulk_report=bulk_report_/);
  await expect(report(page).getByRole('heading')).toHaveText('Change role to member: 1 unchanged');

  // The select-all box is a form field of its own before the app loads.
  await page.getByLabel('Select every member on this page').check();
  await page.getByLabel('Action', { exact: true }).selectOption('deactivate');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(report(page).getByRole('heading')).toHaveText('Deactivate: 1 done');
  await expect(memberRow(page, 'Freya Silva')).toContainText('Deactivated');
  await screenshots(page, 'bulk-no-js');

  await page.getByLabel('Everyone the filters find, on every page').check();
  await page.getByLabel('Action', { exact: true }).selectOption('reactivate');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(report(page).getByRole('heading')).toHaveText('Reactivate: 1 done');
  await expect(memberRow(page, 'Freya Silva')).toContainText('Active');

  // A mistake comes back next to the field.
  await page.getByLabel('Action', { exact: true }).selectOption('');
  await page.getByRole('button', { name: 'Run action' }).click();
  await expect(page.locator('#bulk-action-error')).toHaveText('Choose an action.');
  await context.close();
});
