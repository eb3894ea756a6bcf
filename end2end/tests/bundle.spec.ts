import { expect, test } from '@playwright/test';
import { DEV_CONSOLE } from './fixtures';

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
