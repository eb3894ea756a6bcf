import { expect, test } from '@playwright/test';
import {
  DEV_CONSOLE,
  SIMPLESAML_CONSOLE,
  SIMPLESAML_USERS,
  expectOnSignInPage,
  expectSignedInAs,
  signInWithDevIdp,
  signInWithSimpleSaml,
  settled,
  signOut,
} from './fixtures';

test.describe('signing in through SimpleSAMLphp', () => {
  test('an owner opens a console page, signs in, lands back on it and signs out', async ({ page }) => {
    await page.goto(`${SIMPLESAML_CONSOLE}/credentials`);
    await settled(page);
    await expectOnSignInPage(page);

    await signInWithSimpleSaml(page, SIMPLESAML_USERS.owner);

    await expect(page).toHaveURL(`${SIMPLESAML_CONSOLE}/credentials`);
    await expectSignedInAs(page, { email: SIMPLESAML_USERS.owner.email, role: 'owner', org: 'Acme ML (ssp)' });
    await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();

    await signOut(page);
    await expectOnSignInPage(page);
    await page.goto(`${SIMPLESAML_CONSOLE}/`);
    await settled(page);
    await expectOnSignInPage(page);
  });

  test('a collaborator signs in with the collaborator role', async ({ page }) => {
    await page.goto(`${SIMPLESAML_CONSOLE}/`);
    await settled(page);
    await signInWithSimpleSaml(page, SIMPLESAML_USERS.collaborator);

    await expect(page).toHaveURL(`${SIMPLESAML_CONSOLE}/`);
    await expectSignedInAs(page, {
      email: SIMPLESAML_USERS.collaborator.email,
      role: 'collaborator',
      org: 'Acme ML (ssp)',
    });
    await expect(page.getByRole('heading', { name: 'Welcome, Carl' })).toBeVisible();
  });
});

test.describe('signing in through the built-in development IdP', () => {
  test('a demo owner signs in and moves around the console', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${DEV_CONSOLE}/`);
    await settled(page);
    await expectOnSignInPage(page);
    await expect(page.getByText('Development sign-in is enabled')).toBeVisible();

    await signInWithDevIdp(page, 'Ada Lovelace');

    await expect(page.getByRole('heading', { name: 'Welcome, Ada' })).toBeVisible();
    await expectSignedInAs(page, { email: 'ada@example.com', role: 'owner', org: 'Acme ML (dev)' });

    // Following a link loads the next page; its islands hydrate without an error.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users & IAM' }).click();
    await settled(page);
    await expect(page.getByRole('heading', { name: 'Users & IAM' })).toBeVisible();
    await expect(page.getByTestId('member-table')).toContainText('ada@example.com');
    await expect(page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Service accounts' })).toBeVisible();
    expect(errors).toEqual([]);
  });

  // The 404 page is outside the console frame (which the server renders with who is signed in); its
  // link leads back into it.
  test('an unknown address answers 404 and its link leads into the console', async ({ page }) => {
    await page.goto(`${DEV_CONSOLE}/`);
    await settled(page);
    await signInWithDevIdp(page, 'Ada Lovelace');
    await expect(page.getByRole('heading', { name: 'Welcome, Ada' })).toBeVisible();
    const missing = await page.goto(`${DEV_CONSOLE}/no/such/page`);
    expect(missing?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await page.getByRole('link', { name: 'Go to the console' }).click();
    await expect(page.getByRole('heading', { name: 'Welcome, Ada' })).toBeVisible();
    await expectSignedInAs(page, { email: 'ada@example.com', role: 'owner', org: 'Acme ML (dev)' });
  });

  test('a tampered response is refused with a clear error and a request id', async ({ page }) => {
    await page.route('**/saml/acs', async (route) => {
      const form = new URLSearchParams(route.request().postData() ?? '');
      const xml = Buffer.from(form.get('SAMLResponse') ?? '', 'base64').toString('utf8');
      form.set('SAMLResponse', Buffer.from(xml.replaceAll('grace@example.com', 'ada@example.com')).toString('base64'));
      await route.continue({ postData: form.toString() });
    });

    await page.goto(`${DEV_CONSOLE}/signin`);
    await settled(page);
    await signInWithDevIdp(page, 'Grace Hopper');

    await expect(page.getByTestId('signin-error')).toHaveText(
      "Sign-in failed: the identity provider's response signature was invalid.",
    );
    await expect(page.getByTestId('request-id')).toHaveText(/^[0-9a-f-]{36}$/);
    await page.unrouteAll();
    await page.goto(`${DEV_CONSOLE}/`);
    await settled(page);
    await expectOnSignInPage(page);
  });
});

test.describe('the front door in a real browser', () => {
  test('signing in through SimpleSAMLphp under the Content-Security-Policy hydrates with no violation', async ({ page }) => {
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (execute|load|apply|connect)/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(e.message));

    await page.goto(`${SIMPLESAML_CONSOLE}/credentials`);
    await settled(page);
    await signInWithSimpleSaml(page, SIMPLESAML_USERS.collaborator);
    await expect(page).toHaveURL(`${SIMPLESAML_CONSOLE}/credentials`);

    const reload = await page.reload();
    const csp = reload?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("'nonce-");
    expect(csp).toContain("frame-ancestors 'none'");
    // Only a hydrated page opens the dialog: the WASM ran under the policy. (A click before the
    // mark would race the hydration.)
    await page.waitForSelector('body[data-hydrated]');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect(page.getByRole('dialog', { name: 'Sign out everywhere?' })).toBeVisible();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(violations).toEqual([]);
  });

  test('sign out everywhere ends the sessions of every browser of that person', async ({ browser }) => {
    const laptop = await browser.newContext();
    const phone = await browser.newContext();
    const onLaptop = await laptop.newPage();
    const onPhone = await phone.newPage();
    for (const page of [onLaptop, onPhone]) {
      await page.goto(`${DEV_CONSOLE}/credentials`);
      await settled(page);
      await signInWithDevIdp(page, 'Alan Turing');
      await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();
    }

    await onLaptop.getByRole('button', { name: 'Sign out everywhere' }).click();
    await onLaptop.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();

    await expectOnSignInPage(onLaptop);
    await onPhone.goto(`${DEV_CONSOLE}/credentials`);
    await settled(onPhone);
    await expectOnSignInPage(onPhone);
    await laptop.close();
    await phone.close();
  });
});

test('SimpleSAMLphp accepts only AuthnRequests signed with the console’s key', async ({ page, request }) => {
  const login = await request.get(`${SIMPLESAML_CONSOLE}/saml/login?next=/`, { maxRedirects: 0 });
  expect(login.status()).toBe(303);
  const signed = new URL(login.headers()['location']);
  expect(signed.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  expect(signed.searchParams.get('Signature')).toBeTruthy();

  // The same request with its signature removed, or altered, is refused by the IdP.
  const unsigned = new URL(signed);
  unsigned.searchParams.delete('Signature');
  unsigned.searchParams.delete('SigAlg');
  const tampered = new URL(signed);
  tampered.searchParams.set('Signature', `AAAA${signed.searchParams.get('Signature')!.slice(4)}`);
  for (const refused of [unsigned, tampered]) {
    await page.goto(refused.toString());
    await settled(page);
    await expect(page.locator('#username')).toHaveCount(0);
  }
  // The signed one gets the login form.
  await page.goto(signed.toString());
  await settled(page);
  await expect(page.locator('#username')).toBeVisible();
});
