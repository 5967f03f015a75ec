import { expect, Page, test } from '@playwright/test';
import { failOnPageErrors, hydrated, signIn } from './helpers';

/**
 * Collects every Content Security Policy violation in the page: the browser's own console
 * reports and the `securitypolicyviolation` events, which a script added before the page's own
 * (through the browser's debugging protocol, which the policy does not govern) logs.
 */
async function watchPolicyViolations(page: Page) {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/content security policy|csp violation/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline code'}`);
    });
  });
  return violations;
}

/** Opens `path`, checks its policy header and that it hydrates, and names it in failures. */
async function visit(page: Page, path: string) {
  const response = await page.goto(path);
  expect(response?.headers()['content-security-policy'], `the policy of ${path}`).toContain("'nonce-");
  await hydrated(page);
}

test('another site cannot show the dashboard in a frame', async ({ page, baseURL }) => {
  const refusals: string[] = [];
  page.on('console', (message) => refusals.push(message.text()));
  await page.setContent(`<iframe title="framed dashboard" src="${baseURL}/login"></iframe>`);
  await expect.poll(() => refusals.join('\n')).toContain("frame-ancestors 'none'");
  await expect(page.frameLocator('iframe').getByLabel('Email')).toHaveCount(0);
  const framed = page.frames().find((frame) => frame !== page.mainFrame());
  expect(framed?.url() ?? '').not.toContain('/login');
});

test('no page breaks the content security policy, and every page still hydrates', async ({ page }) => {
  const noErrors = failOnPageErrors(page);
  const violations = await watchPolicyViolations(page);

  await visit(page, '/login');
  // The signed-out pages of a forgotten password (the reset link's page with a dead token).
  for (const path of ['/forgot-password', '/reset-password?token=not-a-token']) {
    await visit(page, path);
    expect(violations, path).toEqual([]);
  }
  await signIn(page);
  for (const path of ['/users', '/invitations', '/profile', '/api-keys', '/outbox', '/no-such-page']) {
    await visit(page, path);
    expect(violations, path).toEqual([]);
  }
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();

  // The link of a seeded invitation, opened by someone signed out.
  await visit(page, '/invitations');
  const pending = page.locator('tr', { has: page.locator('.badge', { hasText: 'Pending' }) }).first();
  await pending.getByText('Link…').click();
  const link = new URL(await pending.locator('input.share-link').inputValue());
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await visit(page, link.pathname + link.search);
  await expect(page.getByRole('button', { name: /accept/i }).first()).toBeVisible();
  await visit(page, '/no-such-page');

  expect(violations).toEqual([]);
  noErrors();
});

test('an inline script without the nonce does not run', async ({ page }) => {
  await visit(page, '/login');
  const outcome = await page.evaluate(async () => {
    const violation = new Promise<string>((resolve) =>
      document.addEventListener('securitypolicyviolation', (event) => resolve(event.violatedDirective), { once: true }),
    );
    const script = document.createElement('script');
    script.textContent = 'window.injected = true;';
    document.head.append(script);
    return { directive: await violation, ran: (window as { injected?: boolean }).injected === true };
  });
  expect(outcome).toEqual({ directive: 'script-src-elem', ran: false });
});
