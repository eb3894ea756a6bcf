import { expect, test } from '@playwright/test';
import {
  PORTS,
  SIMPLESAML_CONSOLE,
  SIMPLESAML_USERS,
  expectOnSignInPage,
  expectSignedInAs,
  settled,
  signInWithSimpleSaml,
  signOut,
} from './fixtures';

const SIMPLESAML = `http://127.0.0.1:${PORTS.simpleSaml}`;

test.describe('SimpleSAMLphp with encrypted assertions and Single Logout', () => {
  test('the assertion arrives encrypted and the console signs in with it', async ({ page }) => {
    const posted: string[] = [];
    await page.route('**/saml/acs', async (route) => {
      const form = new URLSearchParams(route.request().postData() ?? '');
      posted.push(Buffer.from(form.get('SAMLResponse') ?? '', 'base64').toString('utf8'));
      await route.continue();
    });
    await page.goto(`${SIMPLESAML_CONSOLE}/`);
    await settled(page);
    await signInWithSimpleSaml(page, SIMPLESAML_USERS.collaborator);
    await expectSignedInAs(page, {
      email: SIMPLESAML_USERS.collaborator.email,
      role: 'collaborator',
      org: 'Acme ML (ssp)',
    });
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain('EncryptedAssertion');
    expect(posted[0]).not.toMatch(/<saml:Assertion[\s>]/);
    expect(posted[0]).not.toContain(SIMPLESAML_USERS.collaborator.email);
  });

  test('signing out in the console ends the SimpleSAMLphp session too (SP-initiated SLO)', async ({ page }) => {
    await page.goto(`${SIMPLESAML_CONSOLE}/credentials`);
    await settled(page);
    await signInWithSimpleSaml(page, SIMPLESAML_USERS.owner);
    await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();

    const visited: string[] = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest()) visited.push(r.url());
    });
    await signOut(page);
    await expectOnSignInPage(page);
    // Through the IdP's SLO endpoint and back with its signed LogoutResponse.
    expect(visited.some((u) => u.startsWith(`${SIMPLESAML}/saml2/idp/SingleLogoutService.php?SAMLRequest=`))).toBe(true);
    expect(visited.some((u) => u.startsWith(`${SIMPLESAML_CONSOLE}/saml/slo?SAMLResponse=`))).toBe(true);

    // The IdP session is gone: signing in again asks for the password.
    await page.getByRole('link', { name: 'Sign in with SSO' }).click();
    await expect(page.locator('#username')).toBeVisible();
  });

  test('signing out at SimpleSAMLphp ends the console session (IdP-initiated SLO)', async ({ page }) => {
    await page.goto(`${SIMPLESAML_CONSOLE}/credentials`);
    await settled(page);
    await signInWithSimpleSaml(page, SIMPLESAML_USERS.collaborator);
    await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();

    const visited: string[] = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest()) visited.push(r.url());
    });
    const returnTo = encodeURIComponent(`${SIMPLESAML_CONSOLE}/signin`);
    await page.goto(`${SIMPLESAML}/saml2/idp/SingleLogoutService.php?ReturnTo=${returnTo}`);
    await settled(page);
    await expectOnSignInPage(page);
    expect(visited.some((u) => u.startsWith(`${SIMPLESAML_CONSOLE}/saml/slo?SAMLRequest=`))).toBe(true);

    // The console session ended on the server: its pages ask for sign-in again.
    await page.goto(`${SIMPLESAML_CONSOLE}/credentials`);
    await settled(page);
    await expectOnSignInPage(page);
  });
});
