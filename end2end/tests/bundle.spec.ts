import { expect, test } from '@playwright/test';
import { DEV_CONSOLE, settled, signInWithDevIdp, userMenu } from './fixtures';

// The console's bundle is named by content hash and cached for a year; pages are never stored.

test('pages link the content-hashed bundle, which is immutable; pages and unknown names are not cached', async ({ request }) => {
  const page = await request.get(`${DEV_CONSOLE}/signin`);
  expect(page.headers()['cache-control']).toBe('no-store');
  const html = await page.text();
  const names = [...new Set(html.match(/\/pkg\/gatehouse\.[A-Za-z0-9_-]{22}\.(?:js|wasm|css)/g) ?? [])];
  expect(names.map((n) => n.split('.').pop()).sort()).toEqual(['css', 'js', 'wasm']);
  for (const name of names) {
    const asset = await request.get(`${DEV_CONSOLE}${name}`);
    expect(asset.status(), name).toBe(200);
    expect(asset.headers()['cache-control'], name).toBe('public, max-age=31536000, immutable');
  }
  // A name from another build: a 404 nobody may keep.
  const gone = await request.get(`${DEV_CONSOLE}/pkg/gatehouse.AAAAAAAAAAAAAAAAAAAAAA.wasm`);
  expect(gone.status()).toBe(404);
  expect(gone.headers()['cache-control']).toBe('no-cache');
  // The refused-sign-in page outside Leptos links the same stylesheet.
  const css = names.find((n) => n.endsWith('.css'))!;
  const refused = await request.post(`${DEV_CONSOLE}/saml/acs`, { form: { SAMLResponse: 'bm90IHNhbWw=' } });
  expect(await refused.text()).toContain(css);
});

// The console is built in islands mode with `--split`: a page load fetches the main WASM and the
// chunks of that page's islands only (preloaded in its <head>); the main WASM then comes from the
// cache on every later page.
test('a page load fetches only its own islands’ chunks, preloaded in its head', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await signInWithDevIdp(page, 'Ada Lovelace');
  await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();
  const fetched = () =>
    page.evaluate(() =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({
        path: new URL(e.name).pathname,
        transferSize: e.transferSize,
      })),
    );
  const island = (name: string) => (entries: { path: string }[]) =>
    entries.some((e) => e.path.includes(`split_${name}_loader_`));
  expect(island('credentials_manager')(await fetched())).toBe(true);
  for (const other of ['service_accounts_manager', 'api_keys_manager', 'members_manager', 'revoke_form']) {
    expect(island(other)(await fetched()), other).toBe(false);
  }

  // Every page's HTML preloads its islands' chunks beside the main WASM; Home has none.
  for (const [path, name] of [['/iam/service-accounts', 'service_accounts_manager'], ['/iam/identity-provider', 'copy_metadata_button']]) {
    const html = await (await page.request.get(`${DEV_CONSOLE}${path}`)).text();
    const head = html.slice(0, html.indexOf('</head>'));
    expect(head, path).toMatch(new RegExp(`<link[^>]*rel="preload"[^>]*split_${name}_loader_|<link[^>]*split_${name}_loader_[^>]*rel="preload"`));
    const preloaded = [...head.matchAll(/<link[^>]*rel="preload"[^>]*>/g)].map((m) => /href="([^"]+)"/.exec(m[0])?.[1]);
    expect(new Set(preloaded).size, `${path}: each file preloaded once`).toBe(preloaded.length);
  }
  const home = await (await page.request.get(`${DEV_CONSOLE}/`)).text();
  expect(home.slice(0, home.indexOf('</head>'))).not.toMatch(/\/pkg\/(split_|chunk_)/);

  // Following a link loads the next page; the main WASM is not downloaded again.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users & IAM' }).click();
  await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Service accounts' }).click();
  await settled(page);
  await expect(page.getByRole('heading', { name: 'Create a service account' })).toBeVisible();
  const now = await fetched();
  expect(island('service_accounts_manager')(now)).toBe(true);
  const main = now.filter((e) => /^\/pkg\/gatehouse\.[\w-]{22}\.wasm$/.test(e.path));
  expect(main.map((e) => e.transferSize), 'the main WASM came from the cache').toEqual([0]);
});

// The sign-in page and Home have nothing to hydrate: they are sent without the island script and
// prefetch the main WASM, so the first page with islands after the IdP starts from the cache.
test('the sign-in page and Home run no WASM and prefetch the console’s main WASM', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/signin`, { waitUntil: 'networkidle' });
  expect(await page.locator('script[type="module"]').count()).toBe(0);
  const mainWasm = /^\/pkg\/gatehouse\.[\w-]{22}\.wasm$/;
  const prefetched = await page
    .locator('link[rel="prefetch"]')
    .evaluateAll((links) => links.map((l) => new URL((l as HTMLLinkElement).href).pathname));
  expect(prefetched.some((p) => mainWasm.test(p))).toBe(true);
  expect(await page.locator('link[rel="preload"]').count()).toBe(0);

  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).click();
  await page.waitForURL(`${DEV_CONSOLE}/`);
  await expect(page.getByRole('heading', { name: 'Welcome, Ada' })).toBeVisible();
  expect(await page.locator('script[type="module"]').count()).toBe(0);
  expect(await page.locator('leptos-island').count()).toBe(0);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credentials' }).click();
  await page.waitForSelector('body[data-hydrated]');
  const transferred = await page.evaluate(
    (source) =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .filter((e) => new RegExp(source).test(new URL(e.name).pathname))
        .map((e) => e.transferSize),
    mainWasm.source,
  );
  expect(transferred, 'the main WASM came from the cache').toEqual([0]);
});


// The audit log is a table, a GET form and links: sent as plain HTML like the sign-in page, it runs
// no WASM at all.
test('the audit log runs no WASM, prefetches the main WASM, and its user menu works', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await signInWithDevIdp(page, 'Ada Lovelace');
  await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByTestId('audit-table')).toBeVisible();
  expect(await page.locator('body[data-hydrated]').count()).toBe(0);
  expect(await page.locator('script[type="module"]').count()).toBe(0);
  expect(await page.locator('link[rel="preload"]').count()).toBe(0);
  const prefetched = await page
    .locator('link[rel="prefetch"]')
    .evaluateAll((links) => links.map((l) => new URL((l as HTMLLinkElement).href).pathname));
  expect(prefetched.some((p) => /^\/pkg\/gatehouse\.[\w-]{22}\.wasm$/.test(p))).toBe(true);
  expect(prefetched.some((p) => p.includes('split_'))).toBe(false);
  // The user menu is the browser's own popover: it works the same without the WASM.
  const { icon, panel } = userMenu(page);
  await icon.focus();
  await page.keyboard.press('Enter');
  await expect(panel.getByRole('link', { name: 'Credentials' })).toBeVisible();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(icon).toBeFocused();
  await icon.click();
  await page.locator('h1').click();
  await expect(panel).toBeHidden();
});
