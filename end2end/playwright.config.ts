import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Every run starts the built server on a fresh, freshly seeded SQLite database.
const repo = resolve(__dirname, '..');
const target = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');
const port = Number(process.env.E2E_PORT ?? 3100);
const dataDir = mkdtempSync(join(tmpdir(), 'roster-e2e-'));
export const baseURL = `http://127.0.0.1:${port}`;
// The relying-party app of authkit.spec.ts (authkit-example/server.mjs): the official SDKs
// signing people in through Roster with the key and client ID the server is bootstrapped with
// (the seeded API key, with a secret the tests know).
const appPort = port + 1000;
export const appURL = `http://127.0.0.1:${appPort}`;
export const apiKey = 'sk_test_e2e_0123456789abcdef0123456789abcdef';
export const clientId = 'client_e2e_authkit';
// The widgets app of widgets-*.spec.ts (widgets/server.mjs): the official @workos-inc/widgets
// components on a page of its own origin, calling Roster's /_widgets API from the browser with
// tokens its backend gets from the same seeded API key. The specs add this origin to the
// environment's allowed origins through the settings (see tests/widgets.ts), not through
// ROSTER_CORS_ORIGINS, which would lock that setting for the specs that edit it.
const widgetsPort = port + 1500;
export const widgetsURL = `http://127.0.0.1:${widgetsPort}`;
// The SMTP server the dashboard's emails go to (aiosmtpd, see .ci/smtp/smtp-sink.py): it keeps
// each message as JSON in smtpDir/out, and refuses them while smtpDir/out/reply exists.
const smtpPort = port + 20000;
export const smtpDir = process.env.E2E_SMTP_DIR ?? mkdtempSync(join(tmpdir(), 'roster-e2e-smtp-'));
process.env.E2E_SMTP_DIR = smtpDir;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 7_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['json', { outputFile: 'test-results/results.json' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: [{
    command: `"$(bash .ci/smtp/venv.sh)" .ci/smtp/smtp-sink.py --port ${smtpPort} --out ${join(smtpDir, 'out')}`,
    cwd: repo,
    port: smtpPort,
    reuseExistingServer: false,
    timeout: 120_000,
  }, {
    // E2E_BINARY: another build to test, e.g. `make release`'s dist/roster (with
    // LEPTOS_SITE_ROOT=dist/site), which is otherwise the debug build.
    command: `${process.env.E2E_BINARY ?? join(target, 'debug', 'roster')} serve`,
    cwd: repo,
    url: `${baseURL}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    env: {
      // A fresh database: the one the test script made (PostgreSQL), or a new SQLite file.
      ROSTER_DATABASE_URL: process.env.E2E_DATABASE_URL ?? `sqlite:${join(dataDir, 'roster.db')}`,
      ROSTER_ADDR: `127.0.0.1:${port}`,
      ROSTER_BOOTSTRAP_EMAIL: 'admin@roster.test',
      ROSTER_BOOTSTRAP_PASSWORD: 'e2e-admin-password',
      ROSTER_DEMO_PASSWORD: 'e2e-demo-password',
      ROSTER_DEMO_DATA: 'true',
      ROSTER_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ROSTER_EMAIL_FROM: 'Roster <no-reply@roster.test>',
      ROSTER_BOOTSTRAP_API_KEY: apiKey,
      ROSTER_BOOTSTRAP_CLIENT_ID: clientId,
      RUST_LOG: 'warn',
    },
  }, {
    command: 'node end2end/authkit-example/server.mjs',
    cwd: repo,
    url: `${appURL}/`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'pipe',
    env: {
      WORKOS_API_KEY: apiKey,
      WORKOS_CLIENT_ID: clientId,
      WORKOS_COOKIE_PASSWORD: 'e2e-cookie-password-of-at-least-32-characters',
      ROSTER_HOST: '127.0.0.1',
      ROSTER_PORT: String(port),
      PORT: String(appPort),
    },
  }, {
    // Builds its bundle (esbuild, about a second) first when widgets/dist is missing or stale.
    command: 'node end2end/widgets/server.mjs',
    cwd: repo,
    url: `${widgetsURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    env: {
      WORKOS_API_KEY: apiKey,
      ROSTER_HOST: '127.0.0.1',
      ROSTER_PORT: String(port),
      PORT: String(widgetsPort),
    },
  }],
});
