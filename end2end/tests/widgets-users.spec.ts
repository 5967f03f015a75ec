// The official UsersManagement and OrganizationSwitcher widgets (@workos-inc/widgets, unmodified)
// against Roster's /_widgets API, driven as an organization admin would: through the widgets
// example app (widgets/server.mjs), which playwright.config.ts starts on an origin of its own
// and which gets its widget tokens from Roster with the official Node SDK. Data the tests change
// belongs to users made here through the SDK, under addresses unique to the run.
import { test, expect, Page } from '@playwright/test';
import { baseURL, widgetsURL } from '../playwright.config';
import { MEMBER, ORG_ADMIN, failOnPageErrors } from './helpers';
import { mailMark, mailed } from './mail';
import {
  allowWidgetsOrigin,
  claims,
  openWidget,
  organizationNamed,
  recordWidgetCalls,
  resolved,
  runEmail,
  sdkMember,
  um,
  widgetRoot,
} from './widgets';

// Each test sets up its own people, so one failing leaves the others meaningful.
test.describe.configure({ timeout: 60_000 });

let restoreOrigins: () => Promise<void>;
let acme: string;
let globex: string;

test.beforeAll(async ({ browser }) => {
  restoreOrigins = await allowWidgetsOrigin(browser);
  acme = await organizationNamed('Acme Corporation');
  globex = await organizationNamed('Globex Inc');
});

test.afterAll(async () => {
  await restoreOrigins?.();
});

/** The users table's body rows. */
const bodyRows = (page: Page) => widgetRoot(page, 'users-management').locator('tbody').getByRole('row');

/** Who each row of the table shows (its row header: name and email), in order. */
const shownPeople = (page: Page) => widgetRoot(page, 'users-management').locator('tbody th').allInnerTexts();

/** The table row that shows this text (a name or an email). */
const rowWith = (page: Page, text: string) => bodyRows(page).filter({ hasText: text });

/** Types into the widget's search box and waits for the table to show a row with `expected`. */
async function search(page: Page, text: string, expected?: string) {
  await page.getByRole('textbox', { name: 'User search' }).fill(text);
  if (expected) await expect(rowWith(page, expected)).toHaveCount(1);
}

/** Opens a row's actions menu and picks an item. */
async function rowAction(page: Page, text: string, action: string) {
  await rowWith(page, text).getByRole('button', { name: 'User actions' }).click();
  await page.getByRole('menuitem', { name: action }).click();
}

test('an organization admin lists, pages, filters and searches the members', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const recorded = recordWidgetCalls(page);
  await openWidget(page, 'users-management', ORG_ADMIN.email, acme);
  await resolved(page, 'users-management');
  await expect(page.getByRole('button', { name: 'Invite user' })).toBeEnabled();
  await expect(page.getByRole('columnheader', { name: 'User' })).toBeVisible();
  // "Roles": Roster lets a member hold several roles unless the environment turns that off.
  await expect(page.getByRole('columnheader', { name: 'Roles' })).toBeVisible();

  // Acme has more members than a page holds: the first page shows the open invitations, then
  // ten members (the widget asks for ten), and a pager.
  await expect(rowWith(page, 'new.hire@acme.test')).toContainText('Invited');
  const firstPage = await shownPeople(page);
  expect(firstPage.filter((who) => !who.includes('Invited'))).toHaveLength(10);
  const next = page.getByRole('button', { name: 'Next' });
  const previous = page.getByRole('button', { name: 'Previous' });
  await expect(previous).toBeDisabled();
  await next.click();
  await expect.poll(async () => (await shownPeople(page))[0]).not.toBe(firstPage[0]);
  const secondPage = await shownPeople(page);
  expect(secondPage.length).toBeGreaterThan(0);
  expect(secondPage.filter((who) => firstPage.includes(who)), 'the second page repeats no one of the first').toEqual([]);
  await expect(previous).toBeEnabled();
  await previous.click();
  // Back to the first page as it was: the open invitations, then the same ten members.
  await expect.poll(async () => shownPeople(page)).toEqual(firstPage);
  await expect(previous).toBeDisabled();

  // The role filter lists the organization's roles and shows only members with the one chosen.
  await page.getByRole('combobox').filter({ hasText: 'All' }).click();
  await expect(page.getByRole('option', { name: 'Member' })).toBeVisible();
  await page.getByRole('option', { name: 'Admin' }).click();
  await expect(rowWith(page, 'Sofia Rossi')).toHaveCount(1);
  // (A member holding several roles shows their count, "2 roles", instead of their names.)
  await expect(bodyRows(page).filter({ hasNotText: /Admin|\d+ roles/ })).toHaveCount(0);

  // Search (which clears the role filter) by name and by email.
  await search(page, 'Olivia', 'olivia.okafor@acme.test');
  await expect(rowWith(page, 'Olivia Okafor')).toContainText('Owner');
  await expect(rowWith(page, 'liam.nguyen@acme.test')).toHaveCount(0);
  // The admin's own row says so, and offers no actions on themself.
  await search(page, 'liam.nguyen@acme.test', 'Liam Nguyen');
  const own = rowWith(page, 'Liam Nguyen');
  await expect(own).toContainText('You');
  await expect(own).toContainText('Admin');
  await expect(own.getByRole('button', { name: 'User actions' })).toHaveCount(0);
  // Someone else's row does.
  await search(page, 'lucas.berg@acme.test', 'Lucas Berg');
  await expect(rowWith(page, 'Lucas Berg').getByRole('button', { name: 'User actions' })).toBeVisible();

  await search(page, 'nobody-by-this-name');
  await expect(page.getByText("No users found for query 'nobody-by-this-name'")).toBeVisible();
  // The empty table's own button (the search box has a "Clear search" icon button too).
  await bodyRows(page).getByRole('button', { name: 'Clear search' }).click();
  await expect(page.getByRole('textbox', { name: 'User search' })).toHaveValue('');
  await expect.poll(() => shownPeople(page)).toEqual(firstPage);

  // Every call went from the app's page straight to Roster (another origin); the table asked
  // for what the person did, with the widget token. (The very first calls go out before
  // authToken() has answered, without a token: Roster's 403 makes the widget wait for the
  // token and retry.)
  expect(new URL(page.url()).origin).toBe(widgetsURL);
  const calls = await recorded();
  for (const call of calls) {
    expect(call.origin).toBe(baseURL);
    expect(call.widgetType).toBe('user-management');
    if (call.authorization !== undefined) expect(call.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  }
  const listed = calls.filter((call) => call.path === '/_widgets/UserManagement/members');
  const bearer = expect.stringMatching(/^Bearer /);
  expect(listed).toContainEqual(expect.objectContaining({ query: { limit: '10', role: 'admin' }, authorization: bearer }));
  expect(listed).toContainEqual(expect.objectContaining({ query: { limit: '10', search: 'Olivia' }, authorization: bearer }));
  noErrors();
});

test('an admin invites someone, sees them as invited, resends the invitation and revokes it', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const invitee = runEmail('invitee');
  await openWidget(page, 'users-management', ORG_ADMIN.email, acme);
  await resolved(page, 'users-management');

  let mark = mailMark();
  await page.getByRole('button', { name: 'Invite user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite user' });
  await dialog.getByLabel('Email address').fill(invitee);
  // The environment's default role is preselected.
  await expect(dialog.getByRole('combobox')).toHaveText('Member');
  await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(dialog).toBeHidden();
  const firstMail = await mailed(invitee, 'an invitation', (mail) => mail.name, { after: mark });

  await search(page, invitee, invitee);
  const row = rowWith(page, invitee);
  await expect(row).toContainText('Invited');
  await expect(row).toContainText('Member');

  // Inviting the same address again is refused, next to the email field.
  await page.getByRole('button', { name: 'Invite user' }).click();
  await dialog.getByLabel('Email address').fill(invitee);
  await dialog.getByRole('button', { name: 'Invite', exact: true }).click();
  await expect(dialog.getByText(/already invited/i)).toBeVisible();
  await expect(dialog.getByLabel('Email address')).toHaveAttribute('aria-invalid', 'true');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  mark = mailMark();
  await rowAction(page, invitee, 'Resend invitation');
  const resend = page.getByRole('alertdialog', { name: 'Resend invite?' });
  await expect(resend).toContainText(invitee);
  await resend.getByRole('button', { name: 'Resend' }).click();
  const sent = page.getByRole('dialog', { name: 'Invite sent' });
  await expect(sent).toContainText(`The invite email has been resent to ${invitee}`);
  await sent.getByRole('button', { name: 'Close' }).click();
  await expect(sent).toBeHidden();
  const secondMail = await mailed(invitee, 'the invitation again', (mail) => mail.name, { after: mark });
  expect(secondMail > firstMail).toBe(true);
  await expect(rowWith(page, invitee)).toContainText('Invited');

  await rowAction(page, invitee, 'Revoke invitation');
  const revoke = page.getByRole('alertdialog', { name: 'Revoke invite?' });
  await expect(revoke).toContainText(invitee);
  await revoke.getByRole('button', { name: 'Revoke' }).click();
  await expect(revoke).toBeHidden();
  // The row is gone, or stays as a revoked invitation: either way no longer "Invited".
  await expect(rowWith(page, invitee).filter({ hasText: /Invited/ })).toHaveCount(0);

  const states = (await um.listInvitations({ organizationId: acme, email: invitee })).data.map((invitation) => invitation.state);
  expect(states).toContain('revoked');
  expect(states).not.toContain('pending');
  noErrors();
});

test("an admin changes a member's role", async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const member = await sdkMember('role-change', acme, { firstName: 'Rhea', lastName: 'Rolechange' });
  const recorded = recordWidgetCalls(page);
  await openWidget(page, 'users-management', ORG_ADMIN.email, acme);
  await resolved(page, 'users-management');
  await search(page, member.email, 'Rhea Rolechange');
  await expect(rowWith(page, member.email)).toContainText('Member');

  // Several roles per member (Roster's default): the dialog offers a checkbox per role.
  await rowAction(page, member.email, 'Edit roles');
  const dialog = page.getByRole('dialog', { name: 'Edit roles' });
  await expect(dialog).toContainText('Select the roles to assign to Rhea Rolechange');
  await expect(dialog.getByRole('checkbox', { name: /^Member/ })).toBeChecked();
  await dialog.getByRole('checkbox', { name: /^Admin/ }).check();
  await dialog.getByRole('checkbox', { name: /^Member/ }).uncheck();
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(rowWith(page, member.email)).toContainText('Admin');

  const calls = await recorded();
  expect(calls.filter((call) => call.method === 'POST')).toEqual([
    expect.objectContaining({ path: `/_widgets/UserManagement/members/${member.id}`, body: { roles: ['admin'] } }),
  ]);
  const memberships = await um.listOrganizationMemberships({ userId: member.id, organizationId: acme });
  expect(memberships.data.map((membership) => membership.role.slug)).toEqual(['admin']);
  noErrors();
});

test('an admin removes a member from the organization', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const member = await sdkMember('removal', acme, { firstName: 'Remy', lastName: 'Removal' });
  await openWidget(page, 'users-management', ORG_ADMIN.email, acme);
  await resolved(page, 'users-management');
  await search(page, member.email, 'Remy Removal');

  await rowAction(page, member.email, 'Remove user');
  const dialog = page.getByRole('alertdialog', { name: 'Remove user' });
  await expect(dialog).toContainText(`Are you sure you want to remove ${member.email}?`);
  await dialog.getByRole('button', { name: 'Remove' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(`No users found for query '${member.email}'`)).toBeVisible();

  const memberships = await um.listOrganizationMemberships({ userId: member.id, organizationId: acme });
  expect(memberships.data.filter((membership) => membership.status === 'active')).toEqual([]);
  // The person is only out of the organization, not deleted.
  expect((await um.getUser(member.id)).email).toBe(member.email);
  noErrors();
});

test('a plain member gets no users-table token, and the widget does not open for them', async ({ page, request }) => {
  // The admin's token carries the scope the widget checks for.
  const granted = await request.get(`${widgetsURL}/token`, {
    params: { widget: 'users-management', email: ORG_ADMIN.email, org: acme },
  });
  expect(granted.status(), await granted.text()).toBe(200);
  const { token } = await granted.json();
  expect(claims(token)).toMatchObject({ org_id: acme, permissions: expect.arrayContaining(['widgets:users-table:manage']) });

  const refused = await request.get(`${widgetsURL}/token`, {
    params: { widget: 'users-management', email: MEMBER.email, org: acme },
  });
  expect(refused.status(), await refused.text()).toBeGreaterThanOrEqual(400);
  expect(refused.status()).toBeLessThan(500);
  const { message } = await refused.json();
  expect(message).toEqual(expect.any(String));
  expect(message.length).toBeGreaterThan(0);

  // In the page: the app says why, and the widget never gets to Roster's data.
  const recorded = recordWidgetCalls(page);
  await openWidget(page, 'users-management', MEMBER.email, acme);
  await expect(page.getByTestId('token-error')).toHaveText(message);
  await expect(widgetRoot(page, 'users-management')).toHaveAttribute('data-woswidgets-widget-state', 'loading');
  // What the widget sent before giving up carried no token: it never had one.
  const calls = await recorded();
  expect(calls.map((call) => call.authorization)).toEqual(calls.map(() => undefined));

  // The refusal is about the users table's scope: a token for a widget that needs none is fine.
  const switcher = await request.get(`${widgetsURL}/token`, {
    params: { widget: 'organization-switcher', email: MEMBER.email, org: acme },
  });
  expect(switcher.status(), await switcher.text()).toBe(200);
});

test('the organization switcher lists the member’s organizations and switches to another', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const recorded = recordWidgetCalls(page);
  // Liam is an admin of Acme and a member of Globex (the seed's demo data).
  await openWidget(page, 'organization-switcher', ORG_ADMIN.email, acme);
  await resolved(page, 'organization-switcher');
  const tokensBefore = Number(await page.getByTestId('tokens-fetched').innerText());
  expect(tokensBefore).toBeGreaterThan(0);

  const trigger = page.getByRole('button', { name: 'Acme Corporation' });
  await trigger.click();
  const menu = page.getByRole('menu');
  await expect(menu).toContainText('Organizations');
  await expect(menu.getByRole('menuitem')).toHaveCount(2);
  await expect(menu.getByRole('menuitem', { name: /Acme Corporation/ })).toContainText('(current)');
  await expect(menu.getByRole('menuitem', { name: /Globex Inc/ })).not.toContainText('(current)');
  await menu.getByRole('menuitem', { name: /Globex Inc/ }).click();

  // The app switched (its URL and its organization follow), fetched a token for Globex, and
  // the widget, refetching with it, now shows Globex as the current organization.
  await expect(page.getByTestId('organization-id')).toHaveText(globex);
  await expect(page).toHaveURL(new RegExp(`[?&]org=${globex}(&|$)`));
  await expect(page.getByRole('button', { name: 'Globex Inc' })).toBeVisible();
  await expect.poll(async () => Number(await page.getByTestId('tokens-fetched').innerText())).toBeGreaterThan(tokensBefore);
  await page.getByRole('button', { name: 'Globex Inc' }).click();
  await expect(page.getByRole('menuitem', { name: /Globex Inc/ })).toContainText('(current)');
  await page.keyboard.press('Escape');

  // A fresh page on the new URL opens in Globex.
  await page.reload();
  await resolved(page, 'organization-switcher');
  await expect(page.getByRole('button', { name: 'Globex Inc' })).toBeVisible();

  // The widget's one call, refetched with the new token after the switch.
  const calls = await recorded();
  for (const call of calls) {
    expect(call).toMatchObject({ method: 'GET', path: '/_widgets/UserManagement/organizations', widgetType: 'organization-switcher' });
  }
  const organizationsOfTokens = calls.flatMap((call) => (call.authorization ? [claims(call.authorization.slice('Bearer '.length)).org_id] : []));
  expect(organizationsOfTokens).toContain(acme);
  expect(organizationsOfTokens.at(-1)).toBe(globex);
  noErrors();
});
