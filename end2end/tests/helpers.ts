import { expect, Page } from '@playwright/test';

export const ADMIN = { email: 'admin@roster.test', password: 'e2e-admin-password' };
export const DEMO_PASSWORD = 'e2e-demo-password';
/** A plain member of Acme Corporation in the seeded data. */
export const MEMBER = { email: 'lucas.berg@acme.test', password: DEMO_PASSWORD };

/** Waits until the WASM app has hydrated the server-rendered page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1, { timeout: 15_000 });
}

/** Signs in through the login form and waits for the landing page. */
export async function signIn(page: Page, who = ADMIN) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/(users|profile)/);
  await hydrated(page);
}

/** The body rows of the first data table on the page. */
export function rows(page: Page) {
  return page.locator('table.data tbody tr');
}

/** The row of the users table that names this person. */
export function memberRow(page: Page, name: string) {
  return page.locator('table.data tbody tr', { has: page.locator('th', { hasText: name }) });
}

/** Fails the test on any uncaught error in the page. */
export function failOnPageErrors(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return () => expect(errors, 'uncaught page errors').toEqual([]);
}
