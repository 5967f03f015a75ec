import { test, expect, Page } from '@playwright/test';
import { axeClean, DEMO_PASSWORD, failOnPageErrors, hydrated, screenshots } from './helpers';
import { mailedLink, mailMark } from './mail';

// Forgot password, then reset (`app/src/password_reset.rs`), with the link read from the real
// SMTP server playwright.config.ts starts (aiosmtpd keeps each message as JSON there).
// Demo members no other spec signs in as: their passwords change here.
const WITH_JS = 'diego.kim@acme.test';
const WITHOUT_JS = 'ingrid.morales@acme.test';

/** The path (with its token) of the reset link mailed to `email` after `mark`, once it arrives. */
function mailedResetLink(email: string, mark: string): Promise<string> {
  return mailedLink(email, '/reset-password', { after: mark });
}

/**
 * Asks for a reset link on /forgot-password, reached from the sign-in page's link; returns the
 * mail mark taken just before, so only the link this request sends is read (an earlier one
 * may still be arriving).
 */
async function askForLink(page: Page, email: string): Promise<string> {
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await page.getByLabel('Email').fill(email);
  const mark = mailMark();
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toHaveText('If an account exists for that address, we sent a link to reset its password.');
  return mark;
}

async function signInWith(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('forgot password from the sign-in page, then reset with the link from the email', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  await page.goto('/login');
  await hydrated(page);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await hydrated(page);
  await axeClean(page, '/forgot-password');
  await screenshots(page, 'forgot-password');
  // The same answer for an address without an account.
  await page.getByLabel('Email').fill('nobody.here@acme.test');
  await page.getByLabel('Email').press('Enter');
  await expect(page.getByRole('status')).toContainText('If an account exists for that address');

  const mark = await askForLink(page, WITH_JS);
  await axeClean(page, '/forgot-password?sent=1');
  await screenshots(page, 'forgot-password-sent');
  const link = await mailedResetLink(WITH_JS, mark);

  await page.goto(link);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(WITH_JS);
  await page.getByLabel('New password').fill('diego has a new secret');
  await page.getByLabel('Type it again').fill('diego has a new typo');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.locator('#reset-confirm-password-error')).toContainText('not the same');
  await expect(page.getByLabel('Type it again')).toHaveAttribute('aria-invalid', 'true');
  await axeClean(page, '/reset-password');
  await screenshots(page, 'reset-password');
  await page.getByLabel('Type it again').fill('diego has a new secret');
  await page.getByLabel('Type it again').press('Enter');
  await expect(page.getByRole('heading', { name: 'Your password was changed' })).toBeVisible();
  await expect(page).toHaveURL(/\/reset-password\?done=1$/);
  await axeClean(page, '/reset-password?done=1');
  await screenshots(page, 'reset-password-done');

  await page.getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await signInWith(page, WITH_JS, DEMO_PASSWORD);
  await expect(page.getByRole('alert')).toBeVisible();
  await signInWith(page, WITH_JS, 'diego has a new secret');
  await expect(page).toHaveURL(/\/profile/);

  // The link worked once.
  await page.goto(link);
  await expect(page.getByRole('heading', { name: 'This link does not work' })).toBeVisible();
  noErrors();
});

test('forgot password and reset work as plain forms without JavaScript', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const link = await mailedResetLink(WITHOUT_JS, await askForLink(page, WITHOUT_JS));
  await page.goto(link);
  await page.getByLabel('New password').fill('short');
  await page.getByLabel('Type it again').fill('short');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.locator('#reset-new-password-error')).toContainText('at least 8 characters');
  await page.getByLabel('New password').fill('ingrid without scripts');
  await page.getByLabel('Type it again').fill('ingrid without scripts');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('heading', { name: 'Your password was changed' })).toBeVisible();
  await page.getByRole('link', { name: 'Sign in' }).click();
  await signInWith(page, WITHOUT_JS, 'ingrid without scripts');
  await expect(page).toHaveURL(/\/profile/);
  await context.close();
});

test('a wrong or replaced link says it does not work, and leads to a new one', async ({ page }) => {
  await page.goto('/reset-password?token=not-a-real-token');
  await expect(page.getByRole('heading', { name: 'This link does not work' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('wrong, already used or expired');
  await axeClean(page, '/reset-password (dead link)');
  await screenshots(page, 'reset-password-dead');

  // Asking again replaces the earlier link.
  const first = await mailedResetLink(WITH_JS, await askForLink(page, WITH_JS));
  const second = await mailedResetLink(WITH_JS, await askForLink(page, WITH_JS));
  await page.goto(first);
  await expect(page.getByRole('heading', { name: 'This link does not work' })).toBeVisible();
  await page.getByRole('link', { name: 'Ask for a new link' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await page.goto(second);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
});
