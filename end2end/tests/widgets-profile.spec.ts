// The official UserProfile, UserSessions and UserSecurity widgets (@workos-inc/widgets,
// unmodified) against Roster's /_widgets API, driven as the signed-in person would, through the
// widgets example app (widgets/server.mjs) on an origin of its own. Each test acts as a user it
// makes through the official Node SDK; emailed codes come from the SMTP sink, TOTP codes are
// computed here from the setup key the widget shows.
import { test, expect, Page } from '@playwright/test';
import { failOnPageErrors } from './helpers';
import { mailMark, mailed } from './mail';
import {
  PASSWORD,
  allowWidgetsOrigin,
  claims,
  openWidget,
  organizationNamed,
  recordWidgetCalls,
  resolved,
  sdkMember,
  typeCode,
  um,
  widgetRoot,
} from './widgets';
import { freshCode } from './totp';

// Each test sets up its own people, so one failing leaves the others meaningful.
test.describe.configure({ timeout: 60_000 });

let restoreOrigins: () => Promise<void>;
let acme: string;

test.beforeAll(async ({ browser }) => {
  restoreOrigins = await allowWidgetsOrigin(browser);
  acme = await organizationNamed('Acme Corporation');
});

test.afterAll(async () => {
  await restoreOrigins?.();
});

/**
 * A value of the profile's list, by its label ("Full name", "Email address"): the definition
 * after that term. (Its aria-labelledby names no element, so it has no accessible name.)
 */
const profileValue = (page: Page, label: string) =>
  widgetRoot(page, 'user-profile')
    .getByRole('term')
    .filter({ hasText: label })
    .locator('xpath=following-sibling::*[@role="definition"][1]');

test('User Profile: a person edits their name', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const user = await sdkMember('profile', acme, { firstName: 'Ada', lastName: 'Profile' });
  const recorded = recordWidgetCalls(page);
  await openWidget(page, 'user-profile', user.email, acme);
  await resolved(page, 'user-profile');
  await expect(profileValue(page, 'Full name')).toContainText('Ada Profile');
  await expect(profileValue(page, 'Email address')).toContainText(user.email);

  await profileValue(page, 'Full name').getByRole('button', { name: 'Edit' }).click();
  const dialog = page.getByRole('dialog', { name: 'Edit name' });
  await expect(dialog.getByLabel('First name')).toHaveValue('Ada');
  await expect(dialog.getByLabel('Last name')).toHaveValue('Profile');
  await dialog.getByLabel('First name').fill('Grace');
  await dialog.getByLabel('Last name').fill('Hopper');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(profileValue(page, 'Full name')).toContainText('Grace Hopper');

  // Stored, not just shown: Roster has the new name, and a fresh page loads it.
  const stored = await um.getUser(user.id);
  expect({ firstName: stored.firstName, lastName: stored.lastName }).toEqual({ firstName: 'Grace', lastName: 'Hopper' });
  await page.reload();
  await resolved(page, 'user-profile');
  await expect(profileValue(page, 'Full name')).toContainText('Grace Hopper');

  const calls = await recorded();
  expect(calls.filter((call) => call.method !== 'GET')).toEqual([
    expect.objectContaining({ method: 'POST', path: '/_widgets/UserProfile/me', body: { firstName: 'Grace', lastName: 'Hopper' } }),
  ]);
  for (const call of calls) expect(call.widgetType).toBe('user-profile');
  noErrors();
});

const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_ON_MACOS =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

test('User Sessions: a person signs another device out', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const user = await sdkMember('sessions', acme);
  // Two sign-ins from two "devices", through the SDK as an app's backend would pass them on.
  const firefox = await um.authenticateWithPassword({
    email: user.email,
    password: PASSWORD,
    ipAddress: '198.51.100.7',
    userAgent: FIREFOX_ON_WINDOWS,
  });
  const safari = await um.authenticateWithPassword({
    email: user.email,
    password: PASSWORD,
    ipAddress: '203.0.113.9',
    userAgent: SAFARI_ON_MACOS,
  });
  const firefoxSession = String(claims(firefox.accessToken).sid);
  const safariSession = String(claims(safari.accessToken).sid);
  expect(firefoxSession).not.toBe(safariSession);

  const recorded = recordWidgetCalls(page);
  await openWidget(page, 'user-sessions', user.email, acme);
  const root = await resolved(page, 'user-sessions');
  // One card per session (the widgets' own list markup), each naming its device and address.
  const sessions = root.locator('.woswidgets-card-list-item');
  await expect(sessions).toHaveCount(2);
  const firefoxCard = sessions.filter({ hasText: 'Firefox on Windows' });
  const safariCard = sessions.filter({ hasText: 'Safari on macOS' });
  await expect(firefoxCard).toContainText('198.51.100.7');
  await expect(safariCard).toContainText('203.0.113.9');
  // Roster ties a widget token to the user's most recently used live session: the Safari one
  // is "this device", listed first, and cannot be signed out from here.
  await expect(sessions.first()).toContainText('Safari on macOS');
  await expect(safariCard).toContainText('This device');
  await expect(safariCard.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  await expect(page.getByText('Sign out of all other devices')).toBeVisible();

  await firefoxCard.getByRole('button', { name: 'Sign out' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Sign out of device?' });
  await expect(dialog).toContainText('You will be signed out of Firefox on Windows.');
  await dialog.getByRole('button', { name: 'Sign out' }).click();
  await expect(dialog).toBeHidden();
  await expect(sessions).toHaveCount(1);
  await expect(sessions).toContainText('Safari on macOS');
  await expect(page.getByText('Sign out of all other devices')).toHaveCount(0);

  const calls = await recorded();
  const tokenSessions = calls.flatMap((call) => (call.authorization ? [claims(call.authorization.slice('Bearer '.length)).sid] : []));
  expect(new Set(tokenSessions)).toEqual(new Set([safariSession]));
  expect(calls.filter((call) => call.method !== 'GET')).toEqual([
    expect.objectContaining({ method: 'DELETE', path: `/_widgets/UserProfile/sessions/revoke/${firefoxSession}` }),
  ]);
  // Roster ended that session, and its refresh token with it; the other one goes on.
  const listed = await (await um.listSessions(user.id)).autoPagination();
  const active = listed.filter((session) => session.status === 'active').map((session) => session.id);
  expect(active).toEqual([safariSession]);
  await expect(um.authenticateWithRefreshToken({ refreshToken: firefox.refreshToken })).rejects.toThrow();
  expect((await um.authenticateWithRefreshToken({ refreshToken: safari.refreshToken })).accessToken).toBeTruthy();
  noErrors();
});

test('User Security: a person changes their password, after one wrong try', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const user = await sdkMember('password', acme);
  const recorded = recordWidgetCalls(page);
  await openWidget(page, 'user-security', user.email, acme);
  await resolved(page, 'user-security');
  await expect(page.getByText('Multi-factor authentication')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Set up authenticator app' })).toBeVisible();

  await page.getByRole('button', { name: 'Change', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Change Password' });
  const current = dialog.getByLabel('Enter your current password', { exact: true });
  const submit = dialog.getByRole('button', { name: 'Change password' });
  await current.fill('not the password at all');
  await dialog.getByLabel('Enter your new password', { exact: true }).fill('a brand new passphrase');
  await dialog.getByLabel('Confirm your new password', { exact: true }).fill('a brand new passphrase');
  await submit.click();
  // Refused, and said under the field: the widget words Roster's "Invalid credentials" answer
  // as "Your current password is incorrect…".
  await expect(dialog.getByText(/current password is incorrect/i)).toBeVisible();
  await expect(dialog).toBeVisible();

  await current.fill(PASSWORD);
  await submit.click();
  await expect(dialog).toBeHidden();

  const calls = await recorded();
  expect(calls.filter((call) => call.method !== 'GET')).toEqual([
    expect.objectContaining({
      path: '/_widgets/UserProfile/update-password',
      body: { currentPassword: 'not the password at all', newPassword: 'a brand new passphrase' },
    }),
    expect.objectContaining({
      path: '/_widgets/UserProfile/update-password',
      body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
    }),
  ]);
  // The new password signs in; the old one no longer does.
  const signedIn = await um.authenticateWithPassword({ email: user.email, password: 'a brand new passphrase' });
  expect(signedIn.user.id).toBe(user.id);
  await expect(um.authenticateWithPassword({ email: user.email, password: PASSWORD })).rejects.toThrow();
  noErrors();
});

test('User Security: a person proves it is them by email, then enrolls an authenticator app', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const user = await sdkMember('totp', acme);
  const recorded = recordWidgetCalls(page);
  await openWidget(page, 'user-security', user.email, acme);
  await resolved(page, 'user-security');
  await expect(page.getByText('Secure your account with an extra verification step')).toBeVisible();

  // Adding a factor needs elevated access: first a code mailed to the person.
  await page.getByRole('button', { name: 'Set up authenticator app' }).click();
  const verify = page.getByRole('dialog', { name: 'Verify your identity' });
  await expect(verify).toContainText(`We'll send a temporary verification code to ${user.email}.`);
  const mark = mailMark();
  await verify.getByRole('button', { name: 'Send verification code' }).click();
  await expect(verify).toContainText(`A verification code was sent to ${user.email}.`);
  const emailed = await mailed(
    user.email,
    'a verification code',
    (mail) => String(mail.parts['text/plain'] ?? '').match(/\b\d{6}\b/)?.[0],
    { after: mark },
  );
  await typeCode(verify, emailed);

  // Then the app's QR code and setup key; the code typed back is computed from the key.
  const setup = page.getByRole('dialog', { name: 'Set up an authenticator app' });
  await expect(setup).toBeVisible({ timeout: 15_000 });
  await expect(setup.getByRole('img', { name: 'Scan this QR code to enroll' })).toBeVisible();
  await setup.getByRole('button', { name: 'View setup key' }).click();
  const keyDialog = page.getByRole('dialog', { name: 'Your setup key' });
  const secret = (await keyDialog.locator('code').innerText()).trim();
  expect(secret).toMatch(/^[A-Z2-7]{16,}=*$/);
  await page.keyboard.press('Escape');
  await expect(keyDialog).toBeHidden();
  await typeCode(setup, (await freshCode(secret)).code);
  await expect(setup).toBeHidden({ timeout: 15_000 });

  await expect(page.getByText('Authenticator app', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Disable' })).toBeVisible();
  const factors = await (await um.listAuthFactors({ userId: user.id })).autoPagination();
  expect(factors.map((factor) => factor.type)).toEqual(['totp']);

  const calls = await recorded();
  const writes = calls.filter((call) => call.method !== 'GET');
  expect(writes.map((call) => `${call.method} ${call.path}`)).toEqual([
    'POST /_widgets/UserProfile/send-verification',
    'POST /_widgets/UserProfile/verify',
    'POST /_widgets/UserProfile/create-totp-factor',
    'POST /_widgets/UserProfile/verify-totp-factor',
  ]);
  expect(writes[1].body).toEqual({ code: emailed, authenticationChallengeId: expect.any(String) });
  // Once verified, the widget sends the elevated-access token with its writes.
  expect(writes[0].elevatedAccessToken).toBeUndefined();
  expect(writes[2].elevatedAccessToken).toEqual(expect.any(String));
  expect(writes[3].body).toEqual({ authenticationChallengeId: expect.any(String), code: expect.stringMatching(/^\d{6}$/) });
  noErrors();
});
