import { expect, test } from '@playwright/test';
import { DEV_CONSOLE, signInWithDevIdp, userMenu } from './fixtures';

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

// Pages are lazy routes built with `--split`: a first visit loads the shell and that page's chunks,
// the rest come once the page is interactive, and navigating between pages then needs no download.
test('a first visit loads one page’s chunks; the others are prefetched once it is interactive', async ({ page }) => {
  // When each document was marked interactive; resources requested before then are what the page
  // needed (the prefetch starts later, from an idle callback).
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.body?.hasAttribute('data-hydrated')) {
        (window as unknown as { hydratedAt: number }).hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
  });
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await signInWithDevIdp(page, 'Ada Lovelace');
  await page.waitForSelector('body[data-hydrated]');
  await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();
  const requestedBy = (until: number) =>
    page.evaluate(
      (until) => performance.getEntriesByType('resource').filter((e) => e.startTime <= until).map((e) => new URL(e.name).pathname),
      until,
    );
  const loaded = (route: string) => (names: string[]) => names.some((n) => n.includes(`split___${route}_route_view`));
  const hydratedAt = await page.evaluate(() => (window as unknown as { hydratedAt: number }).hydratedAt);
  await expect.poll(async () => loaded('credentials')(await requestedBy(hydratedAt))).toBe(true);
  const beforeInteractive = await requestedBy(hydratedAt);
  for (const other of ['service_accounts', 'api_keys', 'audit', 'iam']) {
    expect(loaded(other)(beforeInteractive), other).toBe(false);
  }

  // Every console page's HTML preloads its own chunks beside the main WASM.
  for (const [path, route] of [['/iam/service-accounts', 'service_accounts'], ['/', 'home']]) {
    const html = await (await page.request.get(`${DEV_CONSOLE}${path}`)).text();
    const head = html.slice(0, html.indexOf('</head>'));
    expect(head, path).toMatch(new RegExp(`<link[^>]*rel="preload"[^>]*split___${route}_route_view|<link[^>]*split___${route}_route_view[^>]*rel="preload"`));
  }

  // Idle prefetch: the other pages' chunks arrive without navigating (Emergency revoke is the last).
  const fetched = () => requestedBy(Number.POSITIVE_INFINITY);
  await expect.poll(async () => loaded('emergency_revoke')(await fetched()), { timeout: 15_000 }).toBe(true);
  expect(loaded('service_accounts')(await fetched())).toBe(true);
  // The audit log is never built in the browser (it is sent as plain HTML): nothing to prefetch.
  expect(loaded('audit')(await fetched())).toBe(false);
  const before = (await fetched()).length;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users & IAM' }).click();
  await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Service accounts' }).click();
  await expect(page.getByRole('heading', { name: 'Create a service account' })).toBeVisible();
  // A client-side navigation: the same document, and no WASM fetched for it.
  const after = await fetched();
  expect(after.slice(before).filter((n) => n.endsWith('.wasm'))).toEqual([]);
});

// The sign-in page has nothing to hydrate: it is sent without the hydration script and prefetches
// what the console needs where signing in lands, so the console after the IdP starts from the cache.
test('the sign-in page runs no WASM and prefetches the console’s shell and Home', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/signin`, { waitUntil: 'networkidle' });
  expect(await page.locator('script[type="module"]').count()).toBe(0);
  const mainWasm = /^\/pkg\/gatehouse\.[\w-]{22}\.wasm$/;
  const prefetched = await page
    .locator('link[rel="prefetch"]')
    .evaluateAll((links) => links.map((l) => new URL((l as HTMLLinkElement).href).pathname));
  expect(prefetched.some((p) => mainWasm.test(p))).toBe(true);
  expect(prefetched.some((p) => p.includes('split___home_route_view'))).toBe(true);
  expect(prefetched.some((p) => p.includes('split___sign_in_route_view'))).toBe(false);
  expect(await page.locator('link[rel="preload"]').count()).toBe(0);

  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.getByRole('button', { name: 'Sign in as Ada Lovelace' }).click();
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
// no WASM and its tab is a page load, not a client-side navigation.
test('the audit log runs no WASM, prefetches the shell, its tab is a page load, and its user menu works', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await signInWithDevIdp(page, 'Ada Lovelace');
  await page.waitForSelector('body[data-hydrated]');
  const tab = page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Audit log' });
  await expect(tab).toHaveAttribute('rel', 'external');
  await tab.click();
  await expect(page.getByTestId('audit-table')).toBeVisible();
  expect(await page.locator('body[data-hydrated]').count()).toBe(0);
  expect(await page.locator('script[type="module"]').count()).toBe(0);
  expect(await page.locator('link[rel="preload"]').count()).toBe(0);
  const prefetched = await page
    .locator('link[rel="prefetch"]')
    .evaluateAll((links) => links.map((l) => new URL((l as HTMLLinkElement).href).pathname));
  expect(prefetched.some((p) => /^\/pkg\/gatehouse\.[\w-]{22}\.wasm$/.test(p))).toBe(true);
  expect(prefetched.some((p) => p.includes('split___audit_route_view'))).toBe(false);
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
