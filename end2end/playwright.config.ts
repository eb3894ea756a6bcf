import { defineConfig } from '@playwright/test';
import { PORTS } from './tests/fixtures';

// Debian's Chromium; Playwright's own browser download is never used.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const health = (port: number) => `http://127.0.0.1:${port}/healthz`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.GATEHOUSE_E2E_CHROMIUM ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'retain-on-failure',
  },
  // Started in order and stopped at the end: the IdP first, then one console per IdP.
  webServer: [
    {
      command: `bash fixtures/simplesamlphp/serve.sh ${PORTS.simpleSaml} ${PORTS.consoleWithSimpleSaml}`,
      url: `http://127.0.0.1:${PORTS.simpleSaml}/saml2/idp/metadata.php`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'ignore',
    },
    {
      command: `bash fixtures/serve-gatehouse.sh ssp ${PORTS.consoleWithSimpleSaml} http://127.0.0.1:${PORTS.simpleSaml}/saml2/idp/metadata.php`,
      url: health(PORTS.consoleWithSimpleSaml),
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
    },
    {
      command: `bash fixtures/serve-gatehouse.sh dev ${PORTS.consoleWithDevIdp}`,
      url: health(PORTS.consoleWithDevIdp),
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
    },
  ],
});
