import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { DEV_CONSOLE, openUserMenu, ownerToken, signInWithDevIdp, userMenu, settled } from './fixtures';

// axe-core on every page of the console, light and dark, desktop and a 390×844 phone: zero
// violations of WCAG 2.1 A/AA (and axe's best practices). Pages are shown with data in them
// (a service account with a key, an audit trail) and with the "shown once" dialog open.

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const SCHEMES = ['light', 'dark'] as const;

const OWNER_PAGES = [
  '/',
  '/credentials',
  '/iam',
  '/iam/service-accounts',
  '/iam/api-keys',
  '/iam/audit',
  '/iam/identity-provider',
  '/iam/emergency-revoke',
  '/no-such-page',
];

// --- act ---

async function signInAs(page: Page, name: string) {
  await page.goto(`${DEV_CONSOLE}/`);
  await settled(page);
  await signInWithDevIdp(page, name);
  await expect(page.getByTestId('user-menu')).toBeVisible();
}

async function api(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${DEV_CONSOLE}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.ok, `${method} ${path}: ${response.status}`).toBeTruthy();
  return response.status === 204 ? undefined : response.json();
}

// --- check ---

/** Runs axe on what the page shows now; the message lists each violation with its nodes. */
async function expectNoViolations(page: Page, where: string) {
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  const report = violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`,
  );
  expect(report, `axe on ${where}`).toEqual([]);
}

async function expectPageReady(page: Page) {
  await expect(page.locator('h1')).toBeVisible();
  // Lists load after hydration: wait until no "Loading" placeholder is left.
  await expect(page.getByText(/^Loading/)).toHaveCount(0);
}

// --- tests ---

for (const scheme of SCHEMES) {
  for (const viewport of VIEWPORTS) {
    test(`axe: every page, ${scheme}, ${viewport.name}`, async ({ browser }) => {
      const context = await browser.newContext({
        colorScheme: scheme,
        viewport: { width: viewport.width, height: viewport.height },
      });
      const page = await context.newPage();

      await page.goto(`${DEV_CONSOLE}/signin`);
      await settled(page);
      await expectPageReady(page);
      await expectNoViolations(page, `/signin (${scheme}, ${viewport.name})`);

      await signInAs(page, 'Ada Lovelace');
      const token = await ownerToken(page);
      const name = `a11y-${scheme}-${viewport.name}`;
      await api(token, 'POST', '/service_accounts', { name });
      await api(token, 'POST', `/service_accounts/${name}/api_keys`, {});
      try {
        for (const path of OWNER_PAGES) {
          await page.goto(`${DEV_CONSOLE}${path}`);
          await settled(page);
          await expectPageReady(page);
          await expectNoViolations(page, `${path} (${scheme}, ${viewport.name})`);
        }
        // The user menu open.
        await page.goto(`${DEV_CONSOLE}/`);
        await settled(page);
        await openUserMenu(page);
        await expectNoViolations(page, `user menu (${scheme}, ${viewport.name})`);
        // A dialog open: the personal token shown once.
        await page.goto(`${DEV_CONSOLE}/credentials`);
        await settled(page);
        await page.getByRole('button', { name: 'Create token' }).click();
        await expect(page.getByRole('dialog')).toBeVisible();
        await expectNoViolations(page, `token dialog (${scheme}, ${viewport.name})`);
        await page.getByRole('dialog').getByRole('button', { name: /close/ }).click();

        // What a collaborator sees on an owner-only page.
        const collaborator = await (await browser.newContext({
          colorScheme: scheme,
          viewport: { width: viewport.width, height: viewport.height },
        })).newPage();
        await signInAs(collaborator, 'Grace Hopper');
        await collaborator.goto(`${DEV_CONSOLE}/iam/service-accounts`);
        await settled(collaborator);
        await expectPageReady(collaborator);
        await expectNoViolations(collaborator, `owner-only page as collaborator (${scheme}, ${viewport.name})`);
      } finally {
        await api(token, 'DELETE', `/service_accounts/${name}`);
        await context.close();
      }
    });
  }
}

test('the user menu works from the keyboard: open, follow a link, Escape returns focus to the icon', async ({ page }) => {
  await signInAs(page, 'Ada Lovelace');
  const { icon, panel } = userMenu(page);
  await expect(icon).toHaveAccessibleName('Account menu for ada@example.com');

  await icon.focus();
  await page.keyboard.press('Enter');
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('link', { name: 'Users & IAM' })).toBeVisible();
  await page.keyboard.press('Tab');
  await expect(panel.getByRole('link', { name: 'Credentials' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(panel.getByRole('link', { name: 'Users & IAM' })).toBeFocused();
  // Enter follows the link: the next page, its menu closed.
  await expect(async () => {
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(`${DEV_CONSOLE}/iam`, { timeout: 1000 });
  }).toPass();
  await expect(panel).toBeHidden();

  await icon.focus();
  await page.keyboard.press('Enter');
  await expect(panel).toBeVisible();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(icon).toBeFocused();

  // A click elsewhere closes it too.
  await openUserMenu(page);
  await page.locator('h1').click();
  await expect(panel).toBeHidden();
});

test('on a 390 px phone the header is one slim row and wide tables scroll inside their own region', async ({ browser }) => {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await signInAs(page, 'Ada Lovelace');
  await page.goto(`${DEV_CONSOLE}/iam`);
  await settled(page);
  await expect(page.getByTestId('member-table')).toBeVisible();
  const header = await page.locator('header.topbar').boundingBox();
  const tabs = await page.locator('nav.tabs').boundingBox();
  expect(header!.height + tabs!.height, 'header and IAM tabs').toBeLessThanOrEqual(844 / 6);
  // The page never scrolls sideways; the table's region does, it says so, and it takes focus.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const region = page.getByRole('region', { name: 'Members' });
  await expect(region).toHaveAttribute('tabindex', '0');
  expect(await region.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  await expect(page.getByText('Scroll sideways to see every column →')).toBeVisible();
  // Everything in the user menu is reachable on the phone too.
  await openUserMenu(page);
  await expect(page.getByTestId('user-menu').getByText('ada@example.com')).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeInViewport();
});
