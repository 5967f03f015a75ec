// What the widgets specs share: the widgets example app (widgets/server.mjs, the official
// @workos-inc/widgets components fed tokens by the official Node SDK) that playwright.config.ts
// starts on an origin of its own, the SDK client the tests set data up with, and RFC 6238 codes.
import { Browser, expect, Locator, Page, Request } from '@playwright/test';
import { WorkOS } from '../widgets/node_modules/@workos-inc/node';
import { apiKey, baseURL, clientId, widgetsURL } from '../playwright.config';
import { ADMIN, serverFunction, signInWithoutJavaScript } from './helpers';

export const workos = new WorkOS(apiKey, {
  apiHostname: '127.0.0.1',
  port: Number(new URL(baseURL).port),
  https: false,
  clientId,
});
export const um = workos.userManagement;

export type WidgetId = 'users-management' | 'user-profile' | 'user-sessions' | 'user-security' | 'organization-switcher';

/**
 * Lets the widgets app's origin call Roster from the browser (the environment's allowed
 * origins, which the /_widgets API answers CORS for), keeping the origins already allowed, as
 * a platform admin would on the settings page; the returned function puts the settings back.
 * Through the settings rather than ROSTER_CORS_ORIGINS, which would lock the field for the
 * specs that edit it (settings.spec.ts, authkit.spec.ts).
 */
export async function allowWidgetsOrigin(browser: Browser): Promise<() => Promise<void>> {
  // The plain sign-in form: only its session cookie is needed, for the settings' server functions.
  const { context, page: admin } = await signInWithoutJavaScript(browser, ADMIN);
  const read = async () => (await serverFunction(admin, '/api/environment-settings', {})).json();
  const before = await read();
  const origins = [...before.cors_origins.filter((origin: string) => origin !== widgetsURL), widgetsURL];
  const saved = await serverFunction(admin, '/api/save-environment-settings', { cors_origins: origins.join('\n') });
  expect(saved.status(), await saved.text()).toBe(200);
  expect((await read()).cors_origins).toEqual(origins);
  return async () => {
    // `lists` makes an empty list clear, so the other lists go along with their own values.
    const restored = await serverFunction(admin, '/api/save-environment-settings', {
      lists: '1',
      redirect_uris: before.redirect_uris.join('\n'),
      default_logout_url: before.default_logout_url ?? '',
      cors_origins: before.cors_origins.join('\n'),
    });
    expect(restored.status(), await restored.text()).toBe(200);
    expect((await read()).cors_origins).toEqual(before.cors_origins);
    await context.close();
  };
}

/** The ID of the seeded organization with this name. */
export async function organizationNamed(name: string): Promise<string> {
  const organizations = await (await workos.organizations.listOrganizations({ limit: 100 })).autoPagination();
  const found = organizations.find((organization) => organization.name === name);
  expect(found, `an organization named ${name}`).toBeTruthy();
  return found!.id;
}

const run = Date.now();
/** An address unique to this run. */
export const runEmail = (tag: string) => `${tag}.${run}@widgets.test`;
export const PASSWORD = 'a long enough password';

/** A user made through the SDK (email verified, with a password), a member of `organizationId`. */
export async function sdkMember(tag: string, organizationId: string, { firstName = 'Widget', lastName = tag, roleSlug = 'member' } = {}) {
  const user = await um.createUser({ email: runEmail(tag), password: PASSWORD, emailVerified: true, firstName, lastName });
  await um.createOrganizationMembership({ organizationId, userId: user.id, roleSlug });
  return user;
}

/** Opens the widgets app on one widget, acting as `email` in `organizationId`. */
export async function openWidget(page: Page, widget: WidgetId, email: string, organizationId?: string) {
  const query = new URLSearchParams({ widget, email });
  if (organizationId) query.set('org', organizationId);
  await page.goto(`${widgetsURL}/?${query}`);
  await expect(page.getByTestId('user-email')).toHaveText(email);
}

/**
 * The widget's root element. The widgets mark it with `data-woswidgets-widget-id` and say
 * whether it is loading, showing an error or showing its data in `…-widget-state`.
 */
export function widgetRoot(page: Page, widget: WidgetId): Locator {
  return page.locator(`[data-woswidgets-widget-id="${widget}"]`);
}

/** Waits until the widget shows its data (not its loading skeleton or an error). */
export async function resolved(page: Page, widget: WidgetId) {
  const root = widgetRoot(page, widget);
  // Queries retry three times before an error shows, so an error can take seconds to surface.
  await expect(root).toHaveAttribute('data-woswidgets-widget-state', /resolved|error/, { timeout: 20_000 });
  const state = await root.getAttribute('data-woswidgets-widget-state');
  expect(state, `${widget} shows its data, not: ${await root.innerText().catch(() => '')}`).toBe('resolved');
  return root;
}

/** One call a widget made to Roster's /_widgets API. */
export interface WidgetCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  origin: string;
  authorization: string | undefined;
  widgetType: string | undefined;
  /** The header the widgets add to every non-GET call while they hold an elevated-access token. */
  elevatedAccessToken: string | undefined;
}

/**
 * Records every /_widgets request the page sends to Roster (preflights aside) from now on;
 * call the result for what was sent so far. (Authorization is one of the headers Playwright
 * only gives asynchronously, with `allHeaders`.)
 */
export function recordWidgetCalls(page: Page): () => Promise<WidgetCall[]> {
  const pending: Promise<WidgetCall>[] = [];
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/_widgets/') || request.method() === 'OPTIONS') return;
    let body: unknown = request.postData() ?? undefined;
    try {
      if (typeof body === 'string') body = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
    pending.push(
      request.allHeaders().then((headers) => ({
        method: request.method(),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body,
        origin: url.origin,
        authorization: headers.authorization,
        widgetType: headers['workos-widgets-type'],
        elevatedAccessToken: headers['x-elevated-access-token'],
      })),
    );
  });
  return () => Promise.all(pending);
}

/**
 * The claims of a JWT, read the way the widgets read them: plain `atob` of the middle part,
 * which (unlike a base64url decoder) throws on `-` and `_`, as the widgets would.
 */
export function claims(token: string): Record<string, unknown> {
  return JSON.parse(atob(token.split('.')[1]));
}

/** Types a six-digit code into the widgets' one-box-per-digit input, as a person would. */
export async function typeCode(scope: Locator, code: string) {
  const boxes = scope.getByRole('textbox');
  await expect(boxes).toHaveCount(6);
  await boxes.first().click();
  await scope.page().keyboard.type(code);
}
