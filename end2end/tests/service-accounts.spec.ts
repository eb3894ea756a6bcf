import { expect, test, type Page } from '@playwright/test';
import { DEV_CONSOLE, signInWithDevIdp } from './fixtures';

async function apiStatus(key: string) {
  const response = await fetch(`${DEV_CONSOLE}/api/v1/users/me`, { headers: { Authorization: `Bearer ${key}` } });
  return response.status;
}

/** Clicks "Create API key" on the account's row and returns the key from the show-once dialog. */
async function createKey(page: Page, account: string) {
  await page.locator(`tr[data-name="${account}"]`).getByRole('button', { name: 'Create API key' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('heading', { name: `API key for ${account}` })).toBeVisible();
  const key = (await page.getByTestId('new-token').textContent())?.trim() ?? '';
  expect(key).toMatch(/^gts_[0-9A-Za-z]{38}$/);
  return key;
}

async function closeDialog(page: Page) {
  await page.getByRole('dialog').getByRole('button', { name: /close/ }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
}

test('an owner runs a service account through its whole life', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: DEV_CONSOLE });
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await signInWithDevIdp(page, 'Ada Lovelace');
  await expect(page.getByTestId('no-service-accounts')).toContainText('identity for a production integration');

  // Inline validation names the rule; nothing is sent while the name is invalid.
  const name = page.getByLabel('Name', { exact: true });
  await name.fill('Bad_Name');
  await expect(page.getByTestId('name-problem')).toContainText('may contain only lowercase letters, digits and hyphens');
  await name.fill('etl-prod');
  await expect(page.getByTestId('name-problem')).toHaveText('');
  await page.getByRole('button', { name: 'Create service account' }).click();
  const row = page.locator('tr[data-name="etl-prod"]');
  await expect(row).toContainText(/etl-prod@org-[a-z0-9-]+\.serviceaccount\.com/);
  const email = (await row.locator('code').textContent())?.trim() ?? '';

  // A key, shown once, copied, used.
  const key = await createKey(page, 'etl-prod');
  await page.getByRole('dialog').getByRole('button', { name: 'Copy', exact: true }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
  await closeDialog(page);
  await expect(page.getByText(key)).toHaveCount(0);
  expect(await apiStatus(key)).toBe(200);
  await expect(row.getByTestId('active-keys')).toHaveText('1');

  // The keys view, filtered by the account's email; revoke that one key.
  await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'API keys' }).click();
  await page.getByLabel('Service account email').fill(email);
  await page.getByRole('button', { name: 'Filter' }).click();
  const keyRow = page.locator(`tr[data-key="${key.slice(-6)}"]`);
  await expect(keyRow).toContainText(email);
  await expect(page.getByTestId('key-table').locator('tbody tr')).toHaveCount(1);
  await keyRow.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
  await expect(page.getByTestId('no-keys')).toBeVisible();
  expect(await apiStatus(key)).toBe(401);

  // Two more keys, then "Revoke all keys".
  await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Service accounts' }).click();
  const second = await createKey(page, 'etl-prod');
  await closeDialog(page);
  const third = await createKey(page, 'etl-prod');
  await closeDialog(page);
  await expect(row.getByTestId('active-keys')).toHaveText('2');
  expect([await apiStatus(second), await apiStatus(third)]).toEqual([200, 200]);
  await row.getByRole('button', { name: 'Revoke all keys' }).click();
  await expect(page.getByRole('dialog')).toContainText(`All 2 active keys of ${email} stop working`);
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke all keys' }).click();
  await expect(row.getByTestId('active-keys')).toHaveText('0');
  expect([await apiStatus(second), await apiStatus(third)]).toEqual([401, 401]);

  // Delete, after a confirmation that names the account.
  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('dialog')).toContainText('Delete etl-prod?');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete etl-prod' }).click();
  await expect(page.getByTestId('no-service-accounts')).toBeVisible();
});

test('a collaborator sees no service-account controls and the server refuses them', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await signInWithDevIdp(page, 'Alan Turing');
  await expect(page.getByTestId('owners-only')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create service account' })).toHaveCount(0);
  for (const tab of ['API keys', 'Audit log']) {
    await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: tab }).click();
    await expect(page.getByTestId('owners-only')).toBeVisible();
  }
  // Same origin, as the console itself would send it: the refusal is the owner check's.
  const refused = await page.request.post(`${DEV_CONSOLE}/fn/owner/create_service_account`, {
    form: { name: 'sneaky' },
    headers: { origin: DEV_CONSOLE },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toEqual({ code: 'owners_only' });
});
