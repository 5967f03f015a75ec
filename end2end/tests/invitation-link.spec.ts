import { Browser, expect, Page, test } from '@playwright/test';
import { ADMIN, hydrated, signIn } from './helpers';

/** Invites `email` from the dashboard as the admin and returns the link to send them. */
async function inviteAndCopyLink(page: Page, email: string, role: string) {
  await signIn(page, ADMIN);
  await page.goto('/invitations');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Role').selectOption(role);
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Invitation sent to ${email}.`);
  const row = page.locator('tr', { hasText: email });
  await row.getByText('Link…').click();
  const link = await row.getByLabel(`Send this link to ${email}:`).inputValue();
  expect(link).toContain('/invitations/accept?invitation_token=');
  return new URL(link).pathname + new URL(link).search;
}

async function freshPage(browser: Browser, javaScriptEnabled = true) {
  const context = await browser.newContext({ javaScriptEnabled });
  return { context, page: await context.newPage() };
}

test('a new person accepts an invitation from its link and lands in the organization', async ({ page, browser }) => {
  const link = await inviteAndCopyLink(page, 'newcomer@e2e.test', 'member');

  const { context, page: invitee } = await freshPage(browser);
  await invitee.goto(link);
  await hydrated(invitee);
  await expect(invitee.getByRole('heading', { name: 'Join Acme Corporation' })).toBeVisible();
  await expect(invitee.getByText('newcomer@e2e.test is invited to Acme Corporation as Member.')).toBeVisible();
  await expect(invitee.getByLabel('Email')).toHaveValue('newcomer@e2e.test');

  await invitee.getByLabel('First name').fill('Nia');
  await invitee.getByLabel('Last name').fill('Newcomer');
  await invitee.getByLabel('Choose a password').fill('short');
  await invitee.getByRole('button', { name: 'Create account and accept' }).click();
  await expect(invitee.locator('#accept-password-error')).not.toBeEmpty();
  await expect(invitee.getByLabel('Choose a password')).toHaveAttribute('aria-invalid', 'true');

  await invitee.getByLabel('Choose a password').fill('a long enough secret');
  await invitee.getByRole('button', { name: 'Create account and accept' }).click();
  await expect(invitee).toHaveURL(/\/profile$/);
  await expect(invitee.getByText('Nia Newcomer').first()).toBeVisible();
  await expect(invitee.getByText('Acme Corporation').first()).toBeVisible();

  // The link has done its work.
  await invitee.goto(link);
  await hydrated(invitee);
  await expect(invitee.getByRole('alert')).toContainText('already been accepted');
  await context.close();

  await page.goto('/invitations');
  await hydrated(page);
  await expect(page.locator('tr', { hasText: 'newcomer@e2e.test' }).locator('.badge')).toHaveText('Accepted');

  // The email that would have carried the link waits in the outbox.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outbox' }).click();
  await expect(page).toHaveURL(/\/outbox$/);
  const message = page.locator('tr', { hasText: 'newcomer@e2e.test' });
  await expect(message).toContainText('invited you to join Acme Corporation');
  await expect(message).toContainText(link);
});

test('accepting works as a plain form before the app loads', async ({ page, browser }) => {
  const link = await inviteAndCopyLink(page, 'plain.form@e2e.test', 'admin');
  const { context, page: invitee } = await freshPage(browser, false);
  await invitee.goto(link);
  await invitee.getByLabel('Choose a password').fill('a long enough secret');
  await invitee.getByRole('button', { name: 'Create account and accept' }).click();
  await expect(invitee).toHaveURL(/\/users/);
  await context.close();
});

test('a link that matches nothing says so', async ({ page }) => {
  await page.goto('/invitations/accept?invitation_token=not-a-real-token');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'This link does not work' })).toBeVisible();
});
