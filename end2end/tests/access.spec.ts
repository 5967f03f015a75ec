import { expect, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, MEMBER, hydrated, rows, signIn } from './helpers';

test('a wrong password shows an error and stays on the sign-in page', async ({ page }) => {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The email or password is incorrect.');
  await expect(page).toHaveURL(/\/login$/);
});

test('a member sees their profile and is denied the admin pages', async ({ page }) => {
  await signIn(page, MEMBER);
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { name: 'Your profile' })).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' })).toHaveCount(0);
  for (const path of ['/users', '/invitations']) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'You need the admin role' })).toBeVisible();
    await expect(page.locator('table.data')).toHaveCount(0);
  }
  for (const path of ['/api-keys', '/outbox', '/settings']) {
    await page.goto(path);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'You need to be a platform admin' })).toBeVisible();
  }
});

test('forms work before the app loads: sign in without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('The email or password is incorrect.');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/users/);
  await expect(rows(page)).toHaveCount(10);
  await context.close();
});

for (const colorScheme of ['light', 'dark'] as const) {
  test(`every page passes an axe scan (${colorScheme})`, async ({ page }) => {
    // Ten full-page scans: on two busy cores they alone can take most of the default 30 s.
    test.slow();
    await page.emulateMedia({ colorScheme });
    const scan = async (what: string) => {
      await hydrated(page);
      const { violations } = await new AxeBuilder({ page }).analyze();
      expect(violations.map((v) => `${what}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    };
    await page.goto('/login');
    await scan('login');
    await signIn(page);
    for (const path of ['/users', '/invitations', '/profile', '/api-keys', '/outbox', '/settings']) {
      await page.goto(path);
      await scan(path);
    }
    // The link of a seeded invitation, opened by the person it was sent to.
    await page.goto('/invitations');
    await hydrated(page);
    const pending = page.locator('tr', { has: page.locator('.badge', { hasText: 'Pending' }) }).first();
    await pending.getByText('Link…').click();
    await scan('/invitations with a link open');
    const link = new URL(await pending.locator('input.share-link').inputValue());
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto(link.pathname + link.search);
    await scan('invitation link');
    await signIn(page, MEMBER);
    await page.goto('/users');
    await scan('member on /users');
  });
}
