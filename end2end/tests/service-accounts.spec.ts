import { expect, test, type Page } from '@playwright/test';
import { DEV_CONSOLE, signInWithDevIdp, settled } from './fixtures';

async function apiStatus(key: string) {
  const response = await fetch(`${DEV_CONSOLE}/api/v1/users/me`, { headers: { Authorization: `Bearer ${key}` } });
  return response.status;
}

/** Clicks "Create API key" on the account's row and returns the key from the show-once dialog. */
async function createKey(page: Page, account: string) {
  await page.locator(`tr[data-name="${account}"]`).getByRole('button', { name: 'Create API key' }).click();
  // The create dialog: defaults are no name, never expires, any network.
  await expect(page.getByRole('dialog').getByLabel('Expires')).toHaveValue('never');
  await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByRole('heading', { name: `API key for ${account}`, exact: true })).toBeVisible();
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
  await settled(page);
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

  // The account's key count links to the keys view, filtered by its email; revoke that one key.
  await row.getByTestId('active-keys').getByRole('link').click();
  await settled(page);
  await expect(page).toHaveURL(/\/iam\/api-keys\?email=/);
  await expect(page.getByLabel('Service account email')).toHaveValue(email);
  const keyRow = page.locator(`tr[data-key="${key.slice(-6)}"]`);
  await expect(keyRow).toContainText(email);
  await expect(page.getByTestId('key-table').locator('tbody tr')).toHaveCount(1);
  await keyRow.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
  await expect(page.getByTestId('no-keys')).toBeVisible();
  await expect(page.getByTestId('toast')).toHaveText('Key revoked; it no longer works.');
  expect(await apiStatus(key)).toBe(401);

  // Two more keys, then "Revoke all keys".
  await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: 'Service accounts' }).click();
  await settled(page);
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
  await expect(page.getByTestId('toast')).toHaveText('2 keys revoked.');
  expect([await apiStatus(second), await apiStatus(third)]).toEqual([401, 401]);

  // Delete, after a confirmation that names the account.
  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('dialog')).toContainText('Delete etl-prod?');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete etl-prod' }).click();
  await expect(page.getByTestId('no-service-accounts')).toBeVisible();
});

test('a collaborator sees no service-account controls and the server refuses them', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await settled(page);
  await signInWithDevIdp(page, 'Alan Turing');
  await expect(page.getByTestId('owners-only')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Create service account' })).toHaveCount(0);
  for (const tab of ['API keys', 'Audit log']) {
    await page.getByRole('navigation', { name: 'Users & IAM' }).getByRole('link', { name: tab }).click();
    await settled(page);
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

test('a key made with an expiry and networks is rotated with an overlap', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await settled(page);
  await signInWithDevIdp(page, 'Ada Lovelace');
  // The form acts through the WASM: typing before hydration would be lost.
  await page.waitForSelector('body[data-hydrated]');
  const account = `rot-${Date.now().toString(36)}`;
  await page.getByLabel('Name', { exact: true }).fill(account);
  await page.getByRole('button', { name: 'Create service account' }).click();
  await page.locator(`tr[data-name="${account}"]`).getByRole('button', { name: 'Create API key' }).click();
  const create = page.getByRole('dialog');
  await create.getByLabel('Name (optional)').fill('nightly');
  await create.getByLabel('Expires').selectOption('30');
  await create.getByLabel('Allowed networks (optional)').fill('10.0.0.0/33');
  await create.getByRole('button', { name: 'Create key' }).click();
  await expect(create.getByRole('alert')).toContainText('prefix length must be 0 to 32');
  await create.getByLabel('Allowed networks (optional)').fill('127.0.0.0/8');
  await create.getByRole('button', { name: 'Create key' }).click();
  const old = (await page.getByTestId('new-token').textContent())?.trim() ?? '';
  await closeDialog(page);
  expect(await apiStatus(old)).toBe(200);

  await page.goto(`${DEV_CONSOLE}/iam/api-keys`);
  await settled(page);
  await page.getByLabel('Service account email').fill(`${account}@`);
  await page.getByRole('button', { name: 'Filter' }).click();
  const row = page.locator(`tr[data-key="${old.slice(-6)}"]`);
  await expect(row.getByTestId('key-expiry')).toHaveText(/expires in (29|30) days/);
  await expect(row).toContainText('from 127.0.0.0/8');
  await expect(row).toContainText('nightly');

  await row.getByRole('button', { name: 'Rotate' }).click();
  await page.getByRole('dialog').getByLabel('The old key keeps working for').selectOption('3600');
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
  await expect(page.getByRole('dialog').getByRole('heading', { name: 'Rotated key' })).toBeVisible();
  const fresh = (await page.getByTestId('new-token').textContent())?.trim() ?? '';
  await closeDialog(page);
  expect(fresh).not.toBe(old);
  expect(await apiStatus(fresh)).toBe(200);
  expect(await apiStatus(old)).toBe(200);
  await expect(page.locator(`tr[data-key="${old.slice(-6)}"]`).getByTestId('key-expiry')).toHaveText('expires today');

  // Leave no account behind for the next test.
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await settled(page);
  await page.locator(`tr[data-name="${account}"]`).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: `Delete ${account}` }).click();
  await expect(page.locator(`tr[data-name="${account}"]`)).toHaveCount(0);
});

test('the create form resets after success and keeps a taken name on the field', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await settled(page);
  await signInWithDevIdp(page, 'Ada Lovelace');
  const account = `dup-${Date.now().toString(36)}`;
  const name = page.getByLabel('Name', { exact: true });
  const role = page.getByLabel('Role');
  await expect(async () => {
    await name.fill('Bad');
    await expect(page.getByTestId('name-problem')).not.toHaveText('', { timeout: 1000 });
  }).toPass();
  await name.fill(account);
  await role.selectOption('owner');
  await page.getByRole('button', { name: 'Create service account' }).click();
  await expect(page.locator(`tr[data-name="${account}"]`)).toContainText('owner');
  await expect(page.getByTestId('toast')).toContainText(`Created ${account}@org-`);
  await expect(name).toHaveValue('');
  await expect(role).toHaveValue('collaborator');

  await name.fill(account);
  await page.getByRole('button', { name: 'Create service account' }).click();
  await expect(page.getByTestId('name-problem')).toContainText(account);
  await expect(name).toHaveValue(account);
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await name.fill(`${account}-2`);
  await expect(page.getByTestId('name-problem')).toHaveText('');

  await page.locator(`tr[data-name="${account}"]`).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: `Delete ${account}` }).click();
  await expect(page.locator(`tr[data-name="${account}"]`)).toHaveCount(0);
});

test('on a 390 px phone, dialogs fit the screen and long emails wrap', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await settled(page);
  await signInWithDevIdp(page, 'Ada Lovelace');
  const account = `a-rather-long-service-account-name-${Date.now().toString(36)}`;
  await expect(async () => {
    await page.getByLabel('Name', { exact: true }).fill('Bad');
    await expect(page.getByTestId('name-problem')).not.toHaveText('', { timeout: 1000 });
  }).toPass();
  await page.getByLabel('Name', { exact: true }).fill(account);
  await page.getByRole('button', { name: 'Create service account' }).click();
  const row = page.locator(`tr[data-name="${account}"]`);
  await row.getByRole('button', { name: 'Create API key' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByTestId('last-six')).toBeVisible();
  await page.getByRole('dialog').getByRole('button', { name: /close/ }).click();
  await row.getByRole('button', { name: 'Revoke all keys' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`${account}@org-`);
  const box = await dialog.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(390);
  expect(box!.y + box!.height).toBeLessThanOrEqual(844);
  // Nothing inside runs past its edge: the long email wraps.
  expect(await dialog.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
  // Every button of the dialog is on the screen.
  for (const button of await dialog.getByRole('button').all()) {
    const b = await button.boundingBox();
    expect(b!.x + b!.width).toBeLessThanOrEqual(390);
  }
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await row.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: `Delete ${account}` }).click();
  await expect(row).toHaveCount(0);
});

test('keyboard only: create an account and a key, close the shown-once dialog, revoke all keys, delete', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await settled(page);
  await signInWithDevIdp(page, 'Ada Lovelace');
  await page.waitForSelector('body[data-hydrated]');
  const account = `kbd-${Date.now().toString(36)}`;

  await page.getByLabel('Name', { exact: true }).focus();
  await page.keyboard.type(account);
  await page.keyboard.press('Enter');
  const row = page.locator(`tr[data-name="${account}"]`);
  await expect(row).toBeVisible();

  // Create API key: the dialog opens on its first field; Enter submits.
  await row.getByRole('button', { name: 'Create API key' }).focus();
  await page.keyboard.press('Enter');
  const create = page.getByRole('dialog');
  await expect(create.getByLabel('Name (optional)')).toBeFocused();
  await page.keyboard.type('keyboard');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('new-token')).toHaveText(/^gts_/);
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(row.getByRole('button', { name: 'Create API key' })).toBeFocused();

  // Revoke all keys: the confirmation opens on Cancel; Tab, Enter confirms.
  await row.getByRole('button', { name: 'Revoke all keys' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog').getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('toast')).toContainText('1 key revoked.');

  await row.getByRole('button', { name: 'Delete' }).focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(row).toHaveCount(0);
});

// A page's controls work once its island has hydrated. Submitted before that, a form does nothing
// (`method="dialog"` outside a dialog) rather than reload the page; once the island is there the
// form works. (Hydration sets the field from the island's
// state, so text typed before it is not kept.)
test('a form submitted before its island hydrates does not reload the page, keeps what was typed, and works after', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam/service-accounts`);
  await signInWithDevIdp(page, 'Ada Lovelace');
  // Hold back the island's chunks on the next load.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/split_service_accounts_manager_loader_/, async (route) => {
    await held;
    await route.continue();
  });
  await page.reload();
  const account = `early-${Date.now().toString(36)}`;
  const name = page.getByLabel('Name', { exact: true });
  await name.fill(account);
  await name.press('Enter');
  await page.waitForTimeout(300);
  await expect(page).toHaveURL(`${DEV_CONSOLE}/iam/service-accounts`);
  await expect(name).toHaveValue(account);
  expect(await page.locator('body[data-hydrated]').count()).toBe(0);

  release();
  await settled(page);
  // Hydration starts the field's state from what is in it, so the text is still there.
  await expect(name).toHaveValue(account);
  await page.getByRole('button', { name: 'Create service account' }).click();
  await expect(page.locator(`tr[data-name="${account}"]`)).toBeVisible();
  // Leave the shared console as it was.
  await page.locator(`tr[data-name="${account}"]`).getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: `Delete ${account}` }).click();
  await expect(page.locator(`tr[data-name="${account}"]`)).toHaveCount(0);
});
