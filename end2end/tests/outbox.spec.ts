import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, hydrated, signIn } from './helpers';

// The e2e server sends its email to an aiosmtpd started by playwright.config.ts, which refuses
// every message while the file `reply` in its folder exists.
const smtpOut = join(process.env.E2E_SMTP_DIR ?? '', 'out');
const refuse = (reply: string) => writeFileSync(join(smtpOut, 'reply'), reply);
const recover = () => rmSync(join(smtpOut, 'reply'), { force: true });

/** The outbox row of the newest message to `email`. */
function messageRow(page: Page, email: string) {
  return page.locator('table.data tbody tr', { has: page.locator('th', { hasText: email }) }).first();
}

/** Reloads the outbox until the newest message to `email` reads `state`. */
async function waitForState(page: Page, email: string, state: string) {
  await expect(async () => {
    await page.goto('/outbox');
    await expect(messageRow(page, email).locator('.delivery .badge')).toHaveText(state, { timeout: 500 });
  }).toPass({ timeout: 20_000 });
}

/** Invites `email` into the signed-in admin's organization, as the invite form does. */
async function invite(page: Page, email: string) {
  await page.goto('/invitations');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  await expect(page.getByRole('status')).toContainText(`Invitation sent to ${email}.`);
}

test.afterEach(recover);
// Each test waits for the server's sender (which looks every 2 seconds) several times.
test.describe.configure({ timeout: 90_000 });

test('the outbox shows each message delivered, and a refused one failed with its reason until sent again', async ({ page }) => {
  await signIn(page, ADMIN);
  await invite(page, 'outbox.ok@e2e.test');
  await waitForState(page, 'outbox.ok@e2e.test', 'Sent');
  const sent = messageRow(page, 'outbox.ok@e2e.test');
  await expect(sent.locator('.delivery')).toContainText('1 attempt');
  await expect(page.getByRole('columnheader', { name: 'Delivery' })).toBeVisible();

  refuse('550 5.1.1 Mailbox unavailable in this test');
  await invite(page, 'outbox.refused@e2e.test');
  await waitForState(page, 'outbox.refused@e2e.test', 'Failed');
  const failed = messageRow(page, 'outbox.refused@e2e.test');
  await expect(failed.locator('.delivery-reason')).toContainText('Mailbox unavailable in this test');
  await hydrated(page);
  await failed.getByText('Read the message').click();
  await expect(failed.locator('.message-body')).toContainText('/invitations/accept?invitation_token=');

  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: `test-results/outbox-${colorScheme}.png` });
    const { violations } = await new AxeBuilder({ page }).analyze();
    expect(violations.map((v) => `${colorScheme}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });

  recover();
  await failed.getByRole('button', { name: 'Send the message to outbox.refused@e2e.test again' }).click();
  await expect(messageRow(page, 'outbox.refused@e2e.test').locator('.delivery .badge')).toHaveText(/Queued|Sending|Sent/);
  await waitForState(page, 'outbox.refused@e2e.test', 'Sent');
});

test('"Send again" works as a plain form before the app loads', async ({ browser, page }) => {
  await signIn(page, ADMIN);
  refuse('550 5.1.1 Refused for the plain-form test');
  await invite(page, 'outbox.plain@e2e.test');
  await waitForState(page, 'outbox.plain@e2e.test', 'Failed');
  recover();
  const context = await browser.newContext({ javaScriptEnabled: false, storageState: await page.context().storageState() });
  const plain = await context.newPage();
  await plain.goto('/outbox');
  await messageRow(plain, 'outbox.plain@e2e.test').getByRole('button', { name: /Send the message to .* again/ }).click();
  await expect(plain).toHaveURL(/\/outbox/);
  await context.close();
  await waitForState(page, 'outbox.plain@e2e.test', 'Sent');
});
