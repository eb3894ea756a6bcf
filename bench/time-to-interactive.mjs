// Time from clicking "Sign in with SSO" to an interactive console, in Debian's Chromium.
//
//   node bench/time-to-interactive.mjs [base-url] [runs]
//
// Needs a running console with the development IdP (scripts/run.sh: the release build on
// http://127.0.0.1:3000). Each run is a fresh browser context (empty cache: a first visit); a
// second series repeats the sign-in in a context that has visited before (bundle cached); the
// others open a console page directly, signed in, with an empty cache (also over an emulated
// 10 Mbit/s link with 40 ms latency); the last follows a link, signed in with the bundle
// cached: from Home, click "Credentials" until its "Create token" button works.
// "Interactive" is the mark the WASM sets on <body> once the page's islands are hydrated, or at
// once on a page without islands (Home: links and the browser's own popover menu).
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

async function interactive(page) {
  await page.waitForLoadState('load');
  await page.waitForFunction(
    () => document.body.hasAttribute('data-hydrated') || !document.querySelector('leptos-island'),
  );
}

// Signs in from the sign-in page and returns how long that took; `keepSession` leaves the
// session cookie in the context (otherwise it is cleared, so the next sign-in starts over).
async function signIn(page, keepSession = false) {
  // The sign-in page is not hydrated (nothing on it needs WASM); it prefetches the console's
  // shell and Home. A person reads it for longer than those take, so wait for them.
  await page.goto(`${base}/signin`, { waitUntil: 'networkidle' });
  const started = performance.now();
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).click();
  await page.waitForURL(`${base}/`);
  await interactive(page);
  await page.getByTestId('user-menu').waitFor();
  const took = performance.now() - started;
  if (!keepSession) await page.context().clearCookies();
  return took;
}

function summary(label, samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(`${label}: p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, max ${sorted.at(-1).toFixed(0)} ms (${samples.length} runs)`);
}

// A signed-in person opening a console page in a browser with an empty cache (a bookmark, a link
// from chat): from the navigation to the hydrated page.
// With `slow`, Chromium emulates a 10 Mbit/s link with 40 ms latency (DevTools throttling).
async function deepLink(cookies, path, slow = false) {
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const page = await context.newPage();
  if (slow) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 40, downloadThroughput: 10e6 / 8, uploadThroughput: 5e6 / 8,
    });
  }
  const started = performance.now();
  await page.goto(`${base}${path}`);
  await interactive(page);
  const took = performance.now() - started;
  await context.close();
  return took;
}

// Signed in, bundle cached, Home interactive: click "Credentials" in the main navigation until
// the Credentials page can be used (a page load and its islands, or a client-side navigation).
async function navigate(page) {
  await page.goto(`${base}/`);
  await interactive(page);
  const started = performance.now();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credentials' }).click();
  await page.waitForSelector('body[data-hydrated] >> text=Create token');
  return performance.now() - started;
}

const cold = [];
const nav = [];
const warm = [];
const deep = { '/': [], '/iam/service-accounts': [] };
const slow = { '/': [], '/iam/service-accounts': [] };
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  cold.push(await signIn(page));
  warm.push(await signIn(page));
  await signIn(page, true);
  nav.push(await navigate(page));
  const cookies = await context.cookies();
  for (const path of Object.keys(deep)) deep[path].push(await deepLink(cookies, path));
  if (i < 10) for (const path of Object.keys(slow)) slow[path].push(await deepLink(cookies, path, true));
  await context.close();
}
summary('first visit (empty cache)', cold);
summary('returning visit (bundle cached)', warm);
for (const [path, samples] of Object.entries(deep)) summary(`signed in, empty cache, open ${path}`, samples);
for (const [path, samples] of Object.entries(slow)) summary(`the same at 10 Mbit/s, 40 ms: ${path}`, samples);
summary('signed in, bundle cached: Home → Credentials by its link', nav);
await browser.close();
