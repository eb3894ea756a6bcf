import { expect, type Page } from '@playwright/test';

export const PORTS = {
  simpleSaml: 3212,
  consoleWithSimpleSaml: 3211,
  consoleWithDevIdp: 3210,
};

export const SIMPLESAML_CONSOLE = `http://127.0.0.1:${PORTS.consoleWithSimpleSaml}`;
export const DEV_CONSOLE = `http://127.0.0.1:${PORTS.consoleWithDevIdp}`;

/** Users of the SimpleSAMLphp test IdP (end2end/fixtures/simplesamlphp/config/authsources.php). */
export const SIMPLESAML_USERS = {
  owner: { username: 'olivia', password: 'olivia-pass', email: 'olivia.owner@idp.test', name: 'Olivia Owner' },
  collaborator: { username: 'carl', password: 'carl-pass', email: 'carl.collab@idp.test', name: 'Carl Collaborator' },
};

// --- act ---

/**
 * Waits until the page on show can be used: the console is server HTML with islands (its
 * interactive parts) that the browser hydrates once idle, after every page load — a click before
 * that would be lost. The toast region, the last island of every page that has islands, marks the
 * body when it is hydrated; pages without islands (sent without the WASM) are usable at once.
 */
export async function settled(page: Page) {
  await page.waitForLoadState('load');
  await page.waitForFunction(
    () => document.body.hasAttribute('data-hydrated') || !document.querySelector('leptos-island'),
  );
}

/** From the console's sign-in page, through SimpleSAMLphp's login form, back to the console. */
export async function signInWithSimpleSaml(page: Page, user: { username: string; password: string }) {
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.locator('#username').fill(user.username);
  await page.locator('#password').fill(user.password);
  await page.locator('#submit_button').click();
  await page.waitForURL((url) => url.port !== String(PORTS.simpleSaml));
  await settled(page);
}

/** From the console's sign-in page, through the built-in development IdP. */
export async function signInWithDevIdp(page: Page, displayName: string) {
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.getByRole('button', { name: `Sign in as ${displayName}` }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/dev-idp/'));
  await settled(page);
}

/** Through the user menu (the icon in the header), as a user would. */
export async function signOut(page: Page) {
  await openUserMenu(page);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
}

/** The user menu's popover (its links and Sign out), and the icon that opens it. */
export function userMenu(page: Page) {
  const menu = page.getByTestId('user-menu');
  return { icon: menu.getByRole('button', { name: /^Account menu for / }), panel: page.locator('#user-menu-panel') };
}

export async function openUserMenu(page: Page) {
  const { icon, panel } = userMenu(page);
  if (!(await panel.isVisible())) await icon.click();
  await expect(panel).toBeVisible();
}

/** A personal token made on the Credentials page by whoever is signed in (for setting up data quickly). */
export async function ownerToken(page: Page) {
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await settled(page);
  await page.getByLabel('Name (optional)').fill('e2e setup');
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = ((await page.getByTestId('new-token').textContent()) ?? '').trim();
  await page.getByRole('dialog').getByRole('button', { name: /close/ }).click();
  return token;
}

// --- check ---

export async function expectSignedInAs(page: Page, who: { email: string; role: string; org: RegExp | string }) {
  await expect(page.getByTestId('user-email')).toHaveText(who.email);
  await expect(page.getByTestId('user-role')).toHaveText(who.role);
  await expect(page.getByTestId('org-name')).toHaveText(who.org);
  await expect(page.getByTestId('org-id')).toHaveText(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
}

export async function expectOnSignInPage(page: Page) {
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByRole('heading', { level: 1, name: 'Gatehouse' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Sign in with SSO' })).toBeVisible();
}
