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
  webServer: {
    command: `${join(target, 'debug', 'roster')} serve`,
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
      RUST_LOG: 'warn',
    },
  },
});
