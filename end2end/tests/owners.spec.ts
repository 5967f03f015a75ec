// Only owners act on owners: an admin sees an owner's row without controls, and is never
// offered the owner role, on the users table or on the invite form.
import { expect, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, DEMO_PASSWORD, failOnPageErrors, hydrated, memberRow, signIn } from './helpers';

/** An admin (not an owner) of Acme Corporation in the seeded data. */
const ACME_ADMIN = { email: 'liam.nguyen@acme.test', password: DEMO_PASSWORD };

test('an admin cannot change an owner, nor hand out the owner role', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page, ACME_ADMIN);
  await page.goto('/users?q=okafor');
  await hydrated(page);

  const owner = memberRow(page, 'Olivia Okafor');
  await expect(owner).toContainText('Only owners can change an owner.');
  await expect(owner.getByRole('combobox')).toHaveCount(0);
  await expect(owner.getByRole('button')).toHaveCount(0);

  await page.goto('/users?q=berg');
  await hydrated(page);
  const member = memberRow(page, 'Lucas Berg');
  await expect(member.getByRole('combobox').locator('option')).toHaveText(['Admin', 'Member']);

  await page.goto('/invitations');
  await hydrated(page);
  await expect(page.getByLabel('Role').locator('option')).toHaveText(['Admin', 'Member']);
  const scan = await new AxeBuilder({ page }).analyze();
  expect(scan.violations).toEqual([]);
  noErrors();
});

test('an owner may hand out the owner role', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto('/users?q=berg');
  await hydrated(page);
  const member = memberRow(page, 'Lucas Berg');
  await expect(member.getByRole('combobox').locator('option')).toHaveText(['Owner', 'Admin', 'Member']);
  await page.goto('/users?q=okafor');
  await hydrated(page);
  await expect(memberRow(page, 'Olivia Okafor').getByRole('combobox')).toHaveCount(1);
});
