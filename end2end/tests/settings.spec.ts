import { test, expect } from '@playwright/test';
import {
  ADMIN,
  ORG_OWNER,
  axeClean,
  failOnPageErrors,
  hydrated,
  screenshots,
  serverFunction,
  signIn,
  signInWithoutJavaScript,
} from './helpers';

test('a platform admin edits the settings; a bad line is named next to its field', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await signIn(page, ADMIN);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await hydrated(page);
  await expect(page.getByLabel('Password', { exact: true })).toBeChecked();
  await expect(page.getByLabel('Session lifetime (minutes)')).toHaveValue('10080');

  const uris = page.getByLabel('Redirect URIs');
  await uris.fill('https://app.example.com/callback\nhttp://insecure.example.com/callback');
  await page.getByLabel('Allowed origins (CORS)').fill('https://app.example.com');
  await page.getByLabel('Session lifetime (minutes)').fill('2');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.locator('#redirect_uris-error')).toContainText('Line 2 (“http://insecure.example.com/callback”) must use https');
  await expect(uris).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#session_lifetime_minutes-error')).toContainText('Must be between 5 and');
  await axeClean(page, '/settings with errors');
  await screenshots(page, 'settings-errors');

  await uris.fill('https://app.example.com/callback\nhttp://localhost:5173/callback');
  await page.getByLabel('Default logout URL').fill('https://app.example.com/bye');
  await page.getByLabel('Session lifetime (minutes)').fill('720');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved the settings.');

  await page.reload();
  await hydrated(page);
  await expect(uris).toHaveValue('https://app.example.com/callback\nhttp://localhost:5173/callback');
  await expect(page.getByLabel('Allowed origins (CORS)')).toHaveValue('https://app.example.com');
  await expect(page.getByLabel('Default logout URL')).toHaveValue('https://app.example.com/bye');
  await expect(page.getByLabel('Session lifetime (minutes)')).toHaveValue('720');
  await axeClean(page, '/settings');
  await screenshots(page, 'settings');
  noErrors();
});

test('the settings form works without JavaScript', async ({ browser }) => {
  const { context, page } = await signInWithoutJavaScript(browser, ADMIN);
  await page.goto('/settings');
  await page.getByLabel('Refresh-token lifetime (minutes)').fill('4320');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.goto('/settings');
  await expect(page.getByLabel('Refresh-token lifetime (minutes)')).toHaveValue('4320');
  await context.close();
});

test('an organization owner cannot open the settings or call their server functions', async ({ page }) => {
  await signIn(page, ORG_OWNER);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' })).toHaveCount(0);
  await page.goto('/settings');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'You need to be a platform admin' })).toBeVisible();
  await expect(page.getByLabel('Redirect URIs')).toHaveCount(0);
  const saved = await serverFunction(page, '/api/save-environment-settings', { redirect_uris: 'https://evil.example.com/' });
  expect(saved.status()).toBe(403);
  const read = await serverFunction(page, '/api/environment-settings', {});
  expect(read.status()).toBe(403);
});
