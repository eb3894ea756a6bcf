// Time from clicking "Sign in with SSO" to an interactive console, in Debian's Chromium.
//
//   node bench/time-to-interactive.mjs [base-url] [runs]
//
// Needs a running console with the development IdP (scripts/run.sh: the release build on
// http://127.0.0.1:3000). Each run is a fresh browser context (empty cache: a first visit); a
// second series repeats the sign-in in a context that has visited before (bundle cached).
// "Interactive" is the mark the WASM sets on <body> once hydration has attached the handlers.
// Prints p50 / p95 / max in milliseconds; results go to docs/benchmarks.md.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'end2end', 'package.json'));
const { chromium } = require('@playwright/test');

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const runs = Number(process.argv[3] ?? 20);
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const browser = await chromium.launch({ executablePath: process.env.GATEHOUSE_E2E_CHROMIUM ?? '/usr/bin/chromium', args });

async function signIn(page) {
  await page.goto(`${base}/signin`);
  await page.waitForSelector('body[data-hydrated]');
  const started = performance.now();
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).click();
  await page.waitForURL(`${base}/`);
  await page.waitForSelector('body[data-hydrated]');
  await page.getByTestId('user-menu').waitFor();
  const took = performance.now() - started;
  await page.context().clearCookies();
  return took;
}

function summary(label, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(`${label}: p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms (${samples.length} runs)`);
}

const cold = [];
const warm = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  cold.push(await signIn(page));
  warm.push(await signIn(page));
  await context.close();
}
summary('first visit (empty cache)', cold);
summary('returning visit (bundle cached)', warm);
await browser.close();
