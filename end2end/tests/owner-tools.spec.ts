import { expect, test, type Page } from '@playwright/test';
import { DEV_CONSOLE, ownerToken, signInWithDevIdp, settled } from './fixtures';

// --- act ---

async function api(token: string, method: string, path: string, body?: unknown) {
  return fetch(`${DEV_CONSOLE}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function signInAs(page: Page, name: string, path: string) {
  await page.goto(`${DEV_CONSOLE}${path}`);
  await settled(page);
  await signInWithDevIdp(page, name);
  await expect(page).toHaveURL(`${DEV_CONSOLE}${path}`);
  await expect(page.getByTestId('user-email')).toBeVisible();
}

// --- tests ---

test('an owner rotates a member’s key for hand-over: the old token dies, the new one works', async ({ browser }) => {
  const grace = await (await browser.newContext()).newPage();
  await signInAs(grace, 'Grace Hopper', '/credentials');
  const old = await ownerToken(grace); // her own personal token
  expect((await api(old, 'GET', '/users/me')).status).toBe(200);

  const ada = await (await browser.newContext()).newPage();
  await signInAs(ada, 'Ada Lovelace', '/iam');
  const row = ada.getByTestId('member-table').locator('tr[data-email="grace@example.com"]');
  await row.getByRole('button', { name: 'Rotate key' }).click();
  await expect(ada.getByRole('dialog')).toContainText("Rotate grace@example.com's key?");
  await ada.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
  await expect(ada.getByRole('heading', { name: 'New key for hand-over' })).toBeVisible();
  const handOver = ((await ada.getByTestId('new-token').textContent()) ?? '').trim();
  expect(handOver).toMatch(/^gtu_/);

  expect((await api(old, 'GET', '/users/me')).status).toBe(401);
  const me = await api(handOver, 'GET', '/users/me');
  expect(me.status).toBe(200);
  expect((await me.json()).result.email).toBe('grace@example.com');
  await ada.context().close();
  await grace.context().close();
});

test('the last owner cannot demote themself: the console says why', async ({ page }) => {
  await signInAs(page, 'Ada Lovelace', '/iam');
  const table = page.getByTestId('member-table');
  // Arrange: Ada the only owner (an earlier test may have promoted Grace).
  for (const email of ['grace@example.com', 'alan@example.com']) {
    const role = table.locator(`tr[data-email="${email}"]`).getByTestId('member-role');
    if ((await role.count()) > 0 && (await role.textContent()) === 'owner') {
      await table.locator(`tr[data-email="${email}"]`).getByRole('button', { name: 'Make collaborator' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Make collaborator' }).click();
      await expect(role).toHaveText('collaborator');
    }
  }
  const adaRow = table.locator('tr[data-email="ada@example.com"]');
  await adaRow.getByRole('button', { name: 'Make collaborator' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Make collaborator' }).click();
  await expect(page.getByRole('alert')).toContainText('last owner');
  await expect(adaRow.getByTestId('member-role')).toHaveText('owner');
});

test('the audit page lists what happened, filters by email, and the keys view pages', async ({ page }) => {
  await signInAs(page, 'Ada Lovelace', '/credentials');
  const token = await ownerToken(page);
  const stamp = Date.now().toString(36);
  const paged = `pager-${stamp}`;
  const audited = `audited-${stamp}`;
  try {
    expect((await api(token, 'POST', '/service_accounts', { name: paged })).status).toBe(201);
    for (let i = 0; i < 51; i++) {
      expect((await api(token, 'POST', `/service_accounts/${paged}/api_keys`)).status).toBe(201);
    }
    expect((await api(token, 'POST', '/service_accounts', { name: audited })).status).toBe(201);

    // The audit log is a plain page (no WASM): its filter and page are in the address.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users & IAM' }).click();
    await settled(page);
    await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Audit log' }).click();
    await settled(page);
    const audit = page.getByTestId('audit-table');
    await expect(audit.getByRole('row', { name: /api_key\.created/ }).first()).toBeVisible();
    expect(await page.locator('script[type="module"]').count()).toBe(0);
    // More than one page of rows exists now: older entries are one click away, and back.
    await expect(page.getByRole('link', { name: 'Newer' })).toHaveCount(0);
    const newest = await audit.locator('tbody tr').first().textContent();
    await page.getByRole('link', { name: 'Older' }).click();
    await expect(page).toHaveURL(/\/iam\/audit\?pages=[0-9a-f]+$/);
    await expect(audit.locator('tbody tr').first()).not.toHaveText(newest ?? '');
    await page.getByRole('link', { name: 'Newer' }).click();
    await expect(page).toHaveURL(/\/iam\/audit$/);
    await expect(audit.locator('tbody tr').first()).toHaveText(newest ?? '');
    // Filtered to one target: exactly that account's creation, in an address one can share.
    const filter = page.getByLabel('Actor or target email');
    await filter.fill(`${audited}@`);
    await page.getByRole('search').getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(new RegExp(`/iam/audit\\?email=${audited}%40$`));
    await expect(audit.locator('tbody tr')).toHaveCount(1);
    await expect(audit.locator('tbody tr')).toContainText('service_account.created');
    await expect(audit.locator('tbody tr')).toContainText(audited);
    await expect(filter).toHaveValue(`${audited}@`);
    // Filtered to one person: only rows where Grace is the actor or the target.
    await filter.fill('grace@');
    await page.getByRole('search').getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/email=grace%40$/);
    for (const row of await audit.locator('tbody tr').all()) {
      await expect(row).toContainText('grace@example.com');
    }
    // "Clear" goes back to everything.
    await page.getByRole('search').getByRole('link', { name: 'Clear' }).click();
    await expect(page).toHaveURL(/\/iam\/audit$/);
    await expect(filter).toHaveValue('');

    // The keys view, filtered to one account: 51 keys are two pages of 50 and 1.
    await page.goto(`${DEV_CONSOLE}/iam/api-keys`);
    await settled(page);
    await page.getByLabel('Service account email').fill(`${paged}@`);
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.locator('table tbody tr');
    await expect(rows).toHaveCount(50);
    await page.getByRole('button', { name: 'Next' }).click();
    await expect(rows).toHaveCount(1);
    await expect(page.getByRole('button', { name: 'Next' })).toHaveCount(0);
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect(rows).toHaveCount(50);
  } finally {
    // Leave the shared console as it was, whatever happened above.
    await api(token, 'DELETE', `/service_accounts/${paged}`);
    await api(token, 'DELETE', `/service_accounts/${audited}`);
  }
});

test('the identity provider page shows owners the IdP, its certificates and the SP metadata', async ({ browser }) => {
  const owner = await (await browser.newContext()).newPage();
  await signInAs(owner, 'Ada Lovelace', '/iam');
  await owner.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Identity provider' }).click();
  await settled(owner);
  await expect(owner).toHaveURL(`${DEV_CONSOLE}/iam/identity-provider`);
  await expect(owner.getByTestId('idp-entity-id')).toHaveText(`${DEV_CONSOLE}/dev-idp/metadata`);
  const certificates = owner.getByTestId('idp-certificates');
  await expect(certificates).toContainText('CN=Gatehouse development IdP');
  await expect(certificates).toContainText(/expires in 36[45] days/);
  await expect(owner.getByTestId('idp-refresh-warning')).toHaveCount(0);
  await expect(owner.getByTestId('sp-metadata-xml')).toContainText('SingleLogoutService');
  const download = owner.getByRole('link', { name: 'Download XML' });
  await expect(download).toHaveAttribute('href', '/saml/metadata');
  await expect(download).toHaveAttribute('download', 'gatehouse-sp-metadata.xml');

  const collaborator = await (await browser.newContext()).newPage();
  await signInAs(collaborator, 'Grace Hopper', '/iam/identity-provider');
  await expect(collaborator.getByTestId('owners-only')).toBeVisible();
  await expect(collaborator.getByTestId('idp-details')).toHaveCount(0);
});

test('emergency revoke shows a live count and revokes only after the organization name is typed', async ({ page }) => {
  await signInAs(page, 'Ada Lovelace', '/iam');
  const token = await ownerToken(page);
  const name = `er-bot-${Date.now()}`;
  expect((await api(token, 'POST', '/service_accounts', { name })).status).toBe(201);
  const created = await (await api(token, 'POST', `/service_accounts/${name}/api_keys`)).json();
  const key: string = created.result.token;

  await page.goto(`${DEV_CONSOLE}/iam/emergency-revoke`);
  await settled(page);
  await expect(page.getByTestId('revoke-preview')).toHaveText('Name at least one condition.');
  await page.getByLabel('Keys').selectOption('service_account');
  await page.getByLabel('Created by (email, optional)').fill('ada@example.com');
  await expect(page.getByTestId('revoke-preview')).toHaveText(/^\d+ live keys? match\.$/);
  const revoke = page.getByRole('button', { name: 'Revoke matching keys' });
  await expect(revoke).toBeDisabled();
  await page.getByLabel(/Type the organization's name/).fill('Acme ML (wrong)');
  await expect(revoke).toBeDisabled();
  await page.getByLabel(/Type the organization's name/).fill('Acme ML (dev)');
  await revoke.click();
  await expect(page.getByTestId('revoke-result')).toHaveText(/^Revoked \d+ keys?\.$/);
  await expect(page.getByTestId('revoke-preview')).toHaveText('0 live keys match.');
  expect((await api(key, 'GET', '/users/me')).status).toBe(401);
  expect((await api(token, 'GET', '/users/me')).status).toBe(200);
  expect((await api(token, 'DELETE', `/service_accounts/${name}`)).status).toBe(204);
});
