// Roster's hosted sign-in pages as a relying-party app meets them: every test goes through the
// AuthKit example app (authkit-example/server.mjs, the WorkOS Node quickstart on the official
// SDK, and its authkit-js page), which playwright.config.ts starts beside Roster. Codes come
// from the SMTP sink, TOTP codes are computed (totp.ts); users are made through the official SDK
// with the e2e API key, under names unique to the run.
import { test, expect, Page } from '@playwright/test';
import { WorkOS } from '../authkit-example/node_modules/@workos-inc/node';
import { apiKey, appURL, baseURL, clientId } from '../playwright.config';
import { ADMIN, axeClean, failOnPageErrors, hydrated, screenshots, serverFunction, signIn } from './helpers';
import { mailMark, mailedCode, mailedLink } from './mail';
import { freshCode } from './totp';

test.describe.configure({ mode: 'serial', timeout: 60_000 });

const workos = new WorkOS(apiKey, { apiHostname: '127.0.0.1', port: Number(new URL(baseURL).port), https: false, clientId });
const um = workos.userManagement;

const run = Date.now();
const email = (tag: string) => `${tag}.${run}@authkit.test`;
const PASSWORD = 'a long enough password';

/** The sign-up test's user, whom the sign-out and MFA tests sign in as afterwards. */
const signedUp = { email: email('sign-up'), password: 'signed up through the app' };

// ---- settings -----------------------------------------------------------------------

type Mfa = 'off' | 'optional' | 'required';

/** The sign-in method fields: `methods=1` makes an absent checkbox mean off. */
function methods({ signUp, verification, mfa }: { signUp: boolean; verification: boolean; mfa: Mfa }) {
  return {
    methods: '1',
    password_enabled: 'on',
    magic_code_enabled: 'on',
    ...(signUp && { sign_up_enabled: 'on' }),
    ...(verification && { email_verification_required: 'on' }),
    mfa,
  };
}

const ON = { signUp: true, verification: true };

async function saveSettings(admin: Page, form: Record<string, string>) {
  const saved = await serverFunction(admin, '/api/save-environment-settings', form);
  expect(saved.status(), await saved.text()).toBe(200);
  return (await serverFunction(admin, '/api/environment-settings', {})).json();
}

// A platform admin's page, signed in once for the whole file: it changes the settings
// between tests (the MFA policy) and puts them back at the end.
let admin: Page;

test.beforeAll(async ({ browser }) => {
  admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN);
  const settings = await saveSettings(admin, {
    redirect_uris: `${appURL}/callback\n${appURL}/spa/`,
    // The example app's /logout asks to come back to its home page.
    default_logout_url: `${appURL}/`,
    cors_origins: appURL,
    ...methods({ ...ON, mfa: 'optional' }),
  });
  expect(settings).toMatchObject({
    redirect_uris: [`${appURL}/callback`, `${appURL}/spa/`],
    default_logout_url: `${appURL}/`,
    cors_origins: [appURL],
    password_enabled: true,
    magic_code_enabled: true,
    sign_up_enabled: true,
    email_verification_required: true,
    mfa: 'optional',
  });
});

test.afterAll(async () => {
  if (!admin) return;
  const settings = await saveSettings(admin, {
    lists: '1',
    redirect_uris: '',
    default_logout_url: '',
    cors_origins: '',
    ...methods({ signUp: false, verification: false, mfa: 'optional' }),
  });
  expect(settings).toMatchObject({
    redirect_uris: [],
    cors_origins: [],
    sign_up_enabled: false,
    email_verification_required: false,
    mfa: 'optional',
  });
  await admin.context().close();
});

// ---- helpers --------------------------------------------------------------------------

/** A URL on Roster starting with `path` (query included). */
const onRoster = (path: string) => new RegExp(`^${(baseURL + path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

/** A user made through the SDK, email already verified, optionally in organizations. */
async function sdkUser(tag: string, organizationIds: string[] = []) {
  const user = await um.createUser({ email: email(tag), password: PASSWORD, emailVerified: true, firstName: tag });
  for (const organizationId of organizationIds) {
    await um.createOrganizationMembership({ organizationId, userId: user.id });
  }
  return user;
}

/** From the app's /login to Roster's hosted sign-in page, hydrated. */
async function openSignIn(page: Page) {
  await page.goto(`${appURL}/login`);
  await expect(page).toHaveURL(onRoster('/sign-in?flow='));
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
}

async function submitPassword(page: Page, who: { email: string; password: string }) {
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Back on the example app's home page, which shows the session it sealed in its cookie. */
async function expectSignedIn(page: Page, who: { email: string }) {
  await expect(page).toHaveURL(`${appURL}/`);
  await expect(page.getByText(`Signed in as ${who.email}`)).toBeVisible();
}

/** The message element of a field's error, found by the input's id. */
async function fieldError(page: Page, label: string) {
  const id = await page.getByLabel(label, { exact: true }).getAttribute('id');
  expect(id, `the ${label} input has an id`).toBeTruthy();
  return page.locator(`#${id}-error`);
}

// ---- tests --------------------------------------------------------------------------------

test('sign up through the app, verify the email with the mailed code, land signed in', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  // The app's /signup asks for the sign-up page directly (screen_hint=sign-up).
  await page.goto(`${appURL}/signup`);
  await expect(page).toHaveURL(onRoster('/sign-up?flow='));
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();

  await openSignIn(page);
  await expect(page.getByRole('link', { name: 'Email me a sign-in code' })).toHaveAttribute('href', /\/magic-code\?flow=/);
  await expect(page.getByRole('link', { name: 'Forgot password?' })).toHaveAttribute('href', /\/forgot-password/);
  await axeClean(page, '/sign-in');
  await screenshots(page, 'authkit-sign-in');

  await page.getByRole('link', { name: 'Create an account' }).click();
  await expect(page).toHaveURL(onRoster('/sign-up?flow='));
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
  await axeClean(page, '/sign-up');
  await screenshots(page, 'authkit-sign-up');

  await page.getByLabel('First name', { exact: true }).fill('Ada');
  await page.getByLabel('Last name', { exact: true }).fill('Signup');
  await page.getByLabel('Email', { exact: true }).fill(signedUp.email);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(await fieldError(page, 'Password')).toBeVisible();
  await axeClean(page, '/sign-up with an error');
  await screenshots(page, 'authkit-sign-up-error');

  await page.getByLabel('Password', { exact: true }).fill(signedUp.password);
  const mark = mailMark();
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(onRoster('/verify-email'));
  await hydrated(page);
  await axeClean(page, '/verify-email');
  await screenshots(page, 'authkit-verify-email');

  const code = await mailedCode(signedUp.email, 'Verify your email', mark);
  // A wrong code is refused on the page, which then still takes the right one.
  await page.getByLabel('Code', { exact: true }).fill(code === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Verify email' }).click();
  await expect(page.getByRole('alert').or(await fieldError(page, 'Code')).first()).toBeVisible();
  await expect(page).toHaveURL(onRoster('/verify-email'));
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Verify email' }).click();
  await expectSignedIn(page, signedUp);

  const [user] = (await um.listUsers({ email: signedUp.email })).data;
  expect(user).toMatchObject({ email: signedUp.email, firstName: 'Ada', lastName: 'Signup', emailVerified: true });
  noErrors();
});

test('signing out of the app ends the session at Roster and comes back signed out', async ({ page }) => {
  await openSignIn(page);
  await submitPassword(page, signedUp);
  await expectSignedIn(page, signedUp);
  const sessionId = await page.getByTestId('session-id').textContent();
  expect(sessionId).toMatch(/^session_/);

  const logout = page.waitForRequest((request) => request.url().startsWith(`${baseURL}/user_management/sessions/logout?`));
  await page.getByRole('link', { name: 'Sign out' }).click();
  expect(new URL((await logout).url()).searchParams.get('session_id')).toBe(sessionId);
  await expect(page).toHaveURL(`${appURL}/`);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText(/Signed in as/)).toHaveCount(0);

  const [user] = (await um.listUsers({ email: signedUp.email })).data;
  const session = (await um.listSessions(user.id)).data.find((s) => s.id === sessionId);
  expect(session?.status, 'the session is over at Roster').not.toBe('active');
  // Nothing signs the browser back in silently: the next sign-in asks again.
  await openSignIn(page);
});

test('MFA required: enroll with a QR code and secret, then answer the challenge next time', async ({ page }) => {
  test.setTimeout(120_000);
  // The signed-up user has no factor, and with MFA optional would not be asked for one.
  await saveSettings(admin, methods({ ...ON, mfa: 'required' }));
  try {
    const noErrors = failOnPageErrors(page);
    await openSignIn(page);
    await submitPassword(page, signedUp);
    await expect(page).toHaveURL(onRoster('/mfa/enroll'));
    await hydrated(page);
    await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await axeClean(page, '/mfa/enroll');
    await screenshots(page, 'authkit-mfa-enroll');

    const enrolled = await freshCode(secret);
    await page.getByLabel('Code', { exact: true }).fill(enrolled.code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectSignedIn(page, signedUp);
    const [user] = (await um.listUsers({ email: signedUp.email })).data;
    expect((await um.listAuthFactors({ userId: user.id })).data.map((f) => f.type)).toEqual(['totp']);

    await page.getByRole('link', { name: 'Sign out' }).click();
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

    await openSignIn(page);
    await submitPassword(page, signedUp);
    await expect(page).toHaveURL(onRoster('/mfa/challenge'));
    await hydrated(page);
    await axeClean(page, '/mfa/challenge');
    const challenge = await freshCode(secret, enrolled.step);
    await page.getByLabel('Code', { exact: true }).fill(challenge.code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectSignedIn(page, signedUp);
    noErrors();
  } finally {
    await saveSettings(admin, methods({ ...ON, mfa: 'optional' }));
  }
});

test('a member of two organizations picks the second on the hosted page', async ({ page }) => {
  const first = await workos.organizations.createOrganization({ name: `Northwind ${run}` });
  const second = await workos.organizations.createOrganization({ name: `Southwind ${run}` });
  const user = await sdkUser('two-orgs', [first.id, second.id]);

  const noErrors = failOnPageErrors(page);
  await openSignIn(page);
  await submitPassword(page, { email: user.email, password: PASSWORD });
  await expect(page).toHaveURL(onRoster('/choose-organization'));
  await hydrated(page);
  await expect(page.getByRole('radio')).toHaveCount(2);
  await expect(page.getByRole('radio', { name: first.name })).toBeVisible();
  await axeClean(page, '/choose-organization');
  await screenshots(page, 'authkit-choose-organization');

  await page.getByRole('radio', { name: second.name }).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expectSignedIn(page, user);
  await expect(page.getByTestId('organization-id')).toHaveText(second.id);
  noErrors();
});

test('magic code: a code mailed from the sign-in page signs in', async ({ page }) => {
  const user = await sdkUser('magic');
  const noErrors = failOnPageErrors(page);
  await openSignIn(page);
  await page.getByRole('link', { name: 'Email me a sign-in code' }).click();
  await expect(page).toHaveURL(onRoster('/magic-code?flow='));
  await hydrated(page);
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  const mark = mailMark();
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await expect(page.getByLabel('Code', { exact: true })).toBeVisible();
  const code = await mailedCode(user.email, 'Your sign-in code', mark);
  await page.getByLabel('Code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectSignedIn(page, user);
  noErrors();
});

test('forgot password from the hosted sign-in page, then sign in through the app with the new one', async ({ page }) => {
  const user = await sdkUser('reset');
  const renewed = { email: user.email, password: 'a brand new password' };
  await openSignIn(page);
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(onRoster('/forgot-password'));
  await hydrated(page);
  await page.getByLabel('Email').fill(user.email);
  const mark = mailMark();
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account exists for that address');

  await page.goto(await mailedLink(user.email, '/reset-password', { after: mark }));
  await hydrated(page);
  await page.getByLabel('New password').fill(renewed.password);
  await page.getByLabel('Type it again').fill(renewed.password);
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByRole('heading', { name: 'Your password was changed' })).toBeVisible();

  await openSignIn(page);
  await submitPassword(page, { email: user.email, password: PASSWORD });
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page).toHaveURL(onRoster('/sign-in'));
  await hydrated(page);
  await submitPassword(page, renewed);
  await expectSignedIn(page, user);
});

test('authkit-js: sign in from the single-page app, then refresh the token', async ({ page }) => {
  const user = await sdkUser('spa');
  const noErrors = failOnPageErrors(page);
  await page.goto(`${appURL}/spa/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(onRoster('/sign-in?flow='));
  await hydrated(page);
  await submitPassword(page, { email: user.email, password: PASSWORD });

  // authkit-js exchanges the code with PKCE from the browser, across origins.
  await expect(page.getByTestId('spa-user')).toHaveText(user.email);
  await expect(page).toHaveURL(`${appURL}/spa/`);
  await expect(page.getByTestId('spa-error')).toBeEmpty();
  const sessionId = await page.getByTestId('spa-session-id').textContent();
  expect(sessionId).toMatch(/^session_/);
  const issuedAt = Number(await page.getByTestId('spa-token-iat').textContent());
  expect(issuedAt).toBeGreaterThan(0);

  // iat counts whole seconds: a refresh within the same second could not show a change.
  await page.waitForTimeout(1_500);
  await page.getByRole('button', { name: 'Refresh token' }).click();
  await expect(page.getByTestId('spa-token-iat')).not.toHaveText(String(issuedAt));
  expect(Number(await page.getByTestId('spa-token-iat').textContent())).toBeGreaterThan(issuedAt);
  await expect(page.getByTestId('spa-session-id')).toHaveText(sessionId!);
  await expect(page.getByTestId('spa-error')).toBeEmpty();

  // A reload keeps the user: authkit-js refreshes with the token it kept (no API key).
  await page.reload();
  await expect(page.getByTestId('spa-user')).toHaveText(user.email);
  await expect(page.getByTestId('spa-session-id')).toHaveText(sessionId!);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${appURL}/spa/`);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  noErrors();
});

test('a sign-in link to a foreign redirect URI or an unknown client stops on Roster', async ({ page }) => {
  const authorize = (params: Record<string, string>) =>
    `${baseURL}/user_management/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: `${appURL}/callback`,
      response_type: 'code',
      provider: 'authkit',
      state: 'negative',
      ...params,
    })}`;
  const cases: Record<string, string>[] = [
    { redirect_uri: 'https://evil.example.com/callback' },
    { client_id: 'client_not_a_real_one' },
  ];
  for (const params of cases) {
    const response = await page.goto(authorize(params));
    expect(response?.status(), JSON.stringify(params)).toBe(400);
    await expect(page.getByRole('heading', { name: 'This sign-in link is not valid' })).toBeVisible();
    expect(page.url().startsWith(`${baseURL}/`), page.url()).toBe(true);
  }
});
