// "Reset two-factor authentication" on the user detail page: an organization admin removes a
// member's TOTP factors (enrolled here through the REST API), with and without JavaScript.
import { APIRequestContext, expect, test } from '@playwright/test';
import {
  ADMIN,
  ORG_ADMIN,
  axeClean,
  failOnPageErrors,
  hydrated,
  screenshots,
  serverFunction,
  signIn,
  signInWithoutJavaScript,
} from './helpers';

/** A plain member of Acme only, whom no other spec touches. */
const KWAME = { name: 'Kwame Sharma', email: 'kwame.sharma@acme.test' };

/** The REST API with an environment key. */
function rest(request: APIRequestContext, key: string) {
  const headers = { Authorization: `Bearer ${key}` };
  return {
    get: async (path: string) => (await request.get(path, { headers })).json(),
    enroll: async (userId: string) => {
      const response = await request.post(`/user_management/users/${userId}/auth_factors`, {
        headers,
        data: { type: 'totp' },
      });
      expect(response.status()).toBe(201);
    },
  };
}

test('an organization admin resets a member’s two-factor authentication', async ({ page, browser }) => {
  test.setTimeout(60_000);
  // A platform admin mints an environment key; the key enrolls two factors for Kwame.
  await signIn(page, ADMIN);
  const created = await (await serverFunction(page, '/api/create-api-key', { name: 'factors e2e' })).json();
  const api = rest(page.request, created.value);
  const kwame = (await api.get(`/user_management/users?email=${KWAME.email}`)).data[0];
  await api.enroll(kwame.id);
  await api.enroll(kwame.id);
  const factors = async () => (await api.get(`/user_management/users/${kwame.id}/auth_factors`)).data.length;
  expect(await factors()).toBe(2);

  const context = await browser.newContext();
  const admin = await context.newPage();
  const noErrors = failOnPageErrors(admin);
  await signIn(admin, ORG_ADMIN);
  await admin.goto(`/users/${kwame.id}`);
  await hydrated(admin);
  const reset = admin.getByRole('button', { name: 'Reset two-factor authentication' });
  await expect(reset).toBeVisible();
  await axeClean(admin, 'user detail with the reset action');
  await screenshots(admin, 'user-detail-factors');

  await reset.focus();
  await admin.keyboard.press('Enter');
  const notice = admin.locator('.alert-success');
  await expect(notice).toHaveText(`Reset two-factor authentication: removed 2 factors of ${KWAME.name}.`);
  expect(await factors()).toBe(0);
  // The activity says who removed them.
  await expect(admin.getByText(/removed a two-factor authentication app of Kwame Sharma/).first()).toBeVisible();
  await reset.click();
  await expect(notice).toHaveText(`${KWAME.name} has no two-factor authentication to reset.`);
  noErrors();
  await context.close();

  // Without JavaScript the button is a plain form.
  await api.enroll(kwame.id);
  const plain = await signInWithoutJavaScript(browser, ORG_ADMIN);
  await plain.page.goto(`/users/${kwame.id}`);
  await plain.page.getByRole('button', { name: 'Reset two-factor authentication' }).click();
  await expect(plain.page).toHaveURL(new RegExp(`/users/${kwame.id}`));
  expect(await factors()).toBe(0);
  await plain.context.close();
});
