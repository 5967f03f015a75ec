import { expect, Page, test } from '@playwright/test';
import {
  MEMBER,
  ORG_ADMIN,
  ORG_OWNER,
  axeClean,
  failOnPageErrors,
  hydrated,
  screenshots,
  serverFunction,
  signIn,
  signInWithoutJavaScript,
} from './helpers';

// Each test walks a whole path through the page; give them room on a busy machine.
test.describe.configure({ mode: 'serial', timeout: 90_000 });

async function openRoles(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
  await expect(page).toHaveURL(/\/roles$/);
  await expect(page.getByRole('heading', { name: 'Roles', level: 1 })).toBeVisible();
  await hydrated(page);
}

test('a platform admin manages the permissions catalog and the environment roles', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page);
  await openRoles(page);
  await expect(page.locator('tr[data-permission="members:manage"]')).toContainText('Built in');
  await axeClean(page, 'roles');
  await screenshots(page, 'roles-platform-admin');

  // Errors sit next to their field.
  await page.locator('#new-permission-name').fill('Read reports');
  await page.getByRole('button', { name: 'Add permission' }).click();
  await expect(page.locator('#new-permission-slug-error')).toHaveText('Enter a slug.');
  await page.locator('#new-permission-slug').fill('reports:read');
  await page.getByRole('button', { name: 'Add permission' }).click();
  const permission = page.locator('tr[data-permission="reports:read"]');
  await expect(permission).toContainText('Read reports');
  await expect(permission).toContainText('No role');

  // A new environment role made of catalog permissions.
  const environment = page.locator('#environment-roles');
  await environment.locator('summary', { hasText: 'New role' }).click();
  const form = environment.locator('.role-new');
  await page.locator('#environment-role-new-slug').fill('auditor');
  await page.locator('#environment-role-new-name').fill('Auditor');
  await form.getByRole('checkbox', { name: /reports:read/ }).check();
  await form.getByRole('button', { name: 'Create role' }).click();
  const auditor = environment.locator('li[data-role="auditor"]');
  await expect(auditor).toContainText('reports:read');
  await expect(permission).toContainText('Auditor');

  await auditor.locator('summary', { hasText: 'Edit' }).click();
  await page.locator('#environment-role-auditor-name').fill('Auditors');
  await page.locator('#environment-role-auditor-priority').fill('9');
  await auditor.getByRole('button', { name: 'Save role' }).click();
  await expect(auditor.locator('h3')).toHaveText('Auditors');
  await expect(auditor).toContainText('Priority 9');

  // Deleting a permission a role uses asks to confirm, naming the role.
  await permission.locator('summary', { hasText: 'Delete' }).click();
  await expect(permission).toContainText('reports:read is used by Auditors');
  await screenshots(page, 'roles-delete-permission');
  await permission.getByRole('button', { name: 'Delete permission' }).click();
  await expect(page.locator('[id="permission-reports:read-confirm-error"]')).toContainText('Used by Auditors');
  await permission.getByRole('checkbox').check();
  await permission.getByRole('button', { name: 'Delete permission' }).click();
  await expect(permission).toHaveCount(0);
  await expect(auditor).toContainText('No permissions');

  // The built-in roles stay: the answer says why.
  const admin = environment.locator('li[data-role="admin"]');
  await admin.locator('summary', { hasText: 'Delete' }).click();
  await admin.getByRole('button', { name: 'Delete role' }).click();
  await expect(admin.getByRole('alert')).toContainText('built in');

  await auditor.locator('summary', { hasText: 'Delete' }).click();
  await auditor.getByRole('button', { name: 'Delete role' }).click();
  await expect(auditor).toHaveCount(0);
  noErrors();
});

test('an owner manages the organization roles; a role members hold is not deleted', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page, ORG_OWNER);
  await openRoles(page);
  const organization = page.locator('#organization-roles');
  await expect(organization.getByRole('heading', { name: 'Roles of Acme Corporation' })).toBeVisible();
  await expect(organization).toContainText('No roles here yet');
  // The catalog and the environment's roles are for platform admins.
  await expect(page.locator('#new-permission-slug')).toHaveCount(0);
  await expect(page.locator('#environment-roles summary')).toHaveCount(0);

  await organization.locator('summary', { hasText: 'New role' }).click();
  const form = organization.locator('.role-new');
  await page.locator('#organization-role-new-slug').fill('support');
  await page.locator('#organization-role-new-name').fill('Support');
  await page.locator('#organization-role-new-priority').fill('soon');
  await form.getByRole('button', { name: 'Create role' }).click();
  await expect(page.locator('#organization-role-new-priority-error')).toContainText('whole number');
  await page.locator('#organization-role-new-priority').fill('5');
  await form.getByRole('checkbox', { name: /members:read/ }).check();
  await form.getByRole('button', { name: 'Create role' }).click();
  const support = organization.locator('li[data-role="support"]');
  await expect(support).toContainText('members:read');
  await axeClean(page, 'roles as owner');
  await screenshots(page, 'roles-owner');

  // Once a member holds it, it stays, and the answer says how many hold it.
  await page.goto('/users?q=amara');
  await hydrated(page);
  await page.getByLabel(/^Role of Amara/).first().selectOption('support');
  await page.getByRole('button', { name: /^Save role of Amara/ }).first().click();
  await expect(page.getByRole('status')).toContainText('now has the support role');
  await page.goto('/roles');
  await hydrated(page);
  await support.locator('summary', { hasText: 'Delete' }).click();
  await support.getByRole('button', { name: 'Delete role' }).click();
  await expect(support.getByRole('alert')).toContainText('1 member holds it');
  await screenshots(page, 'roles-role-in-use');

  await page.goto('/users?q=amara');
  await hydrated(page);
  await page.getByLabel(/^Role of Amara/).first().selectOption('member');
  await page.getByRole('button', { name: /^Save role of Amara/ }).first().click();
  await expect(page.getByRole('status')).toContainText('now has the member role');
  await page.goto('/roles');
  await hydrated(page);
  await support.locator('summary', { hasText: 'Delete' }).click();
  await support.getByRole('button', { name: 'Delete role' }).click();
  await expect(support).toHaveCount(0);
  noErrors();
});

test('an admin reads the roles but cannot change them', async ({ page }) => {
  await signIn(page, ORG_ADMIN);
  await openRoles(page);
  await expect(page.locator('#organization-roles')).toContainText('you can read them');
  await expect(page.locator('#environment-roles li[data-role="owner"]')).toContainText('members:manage');
  await expect(page.locator('main summary')).toHaveCount(0);
  await axeClean(page, 'roles as admin');
  await screenshots(page, 'roles-admin');
  // The server refuses a hand-made request too.
  expect((await serverFunction(page, '/api/save-role', { scope: 'organization', slug: 'sneaky', name: 'Sneaky' })).status()).toBe(403);
  expect((await serverFunction(page, '/api/save-permission', { slug: 'sneaky:read', name: 'Sneaky' })).status()).toBe(403);
});

test('a member cannot open the roles page', async ({ page }) => {
  await signIn(page, MEMBER);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' })).toHaveCount(0);
  await page.goto('/roles');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'You need the admin role' })).toBeVisible();
  expect((await serverFunction(page, '/api/delete-role', { scope: 'organization', slug: 'member' })).status()).toBe(403);
});

test('without JavaScript: the page renders and its forms work', async ({ browser }) => {
  const { context, page } = await signInWithoutJavaScript(browser);
  await page.goto('/roles');
  await expect(page.locator('tr[data-permission="members:read"]')).toBeVisible();
  await page.locator('#new-permission-slug').fill('plain:read');
  await page.locator('#new-permission-name').fill('Plain read');
  await page.getByRole('button', { name: 'Add permission' }).click();
  await expect(page.locator('tr[data-permission="plain:read"]')).toContainText('Plain read');

  const organization = page.locator('#organization-roles');
  await organization.locator('summary', { hasText: 'New role' }).click();
  await page.locator('#organization-role-new-slug').fill('plain');
  await page.locator('#organization-role-new-name').fill('Plain');
  await organization.locator('.role-new').getByRole('checkbox', { name: /plain:read/ }).check();
  await organization.locator('.role-new').getByRole('button', { name: 'Create role' }).click();
  await expect(page.locator('#organization-roles li[data-role="plain"]')).toContainText('plain:read');
  await context.close();
});
