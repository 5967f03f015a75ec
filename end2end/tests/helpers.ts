import { Browser, expect, Page, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

export const ADMIN = { email: 'admin@roster.test', password: 'e2e-admin-password' };
export const DEMO_PASSWORD = 'e2e-demo-password';
/** A plain member of Acme Corporation in the seeded data. */
export const MEMBER = { email: 'lucas.berg@acme.test', password: DEMO_PASSWORD };
/** An admin (not an owner) of Acme Corporation in the seeded data. */
export const ORG_ADMIN = { email: 'liam.nguyen@acme.test', password: DEMO_PASSWORD };
/** An owner of Acme Corporation in the seeded data (not a platform admin). */
export const ORG_OWNER = { email: 'olivia.okafor@acme.test', password: DEMO_PASSWORD };

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

/** Fails on any axe violation of the hydrated page, naming the page and the offending nodes. */
export async function axeClean(page: Page, what: string) {
  await hydrated(page);
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(violations.map((v) => `${what}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

/** Light and dark full-page screenshots of the page as it is, in the test's output folder. */
export async function screenshots(page: Page, name: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: test.info().outputPath(`${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Posts a form to a server function from the signed-in page's origin, as the page would. */
export async function serverFunction(page: Page, path: string, form: Record<string, string>) {
  const origin = new URL(page.url()).origin;
  return page.request.post(path, { form, headers: { Origin: origin, Accept: 'application/json' } });
}

/** A new browser context without JavaScript, signed in through the plain login form. */
export async function signInWithoutJavaScript(browser: Browser, who = ADMIN) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/(users|profile)/);
  return { context, page };
}
