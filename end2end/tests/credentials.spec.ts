import { expect, test, type Page } from '@playwright/test';
import { DEV_CONSOLE, signInWithDevIdp, settled } from './fixtures';

async function apiMe(token: string) {
  return fetch(`${DEV_CONSOLE}/api/v1/users/me`, { headers: { Authorization: `Bearer ${token}` } });
}

async function readNewToken(page: Page) {
  const token = (await page.getByTestId('new-token').textContent())?.trim() ?? '';
  expect(token).toMatch(/^gtu_[0-9A-Za-z]{38}$/);
  await expect(page.getByTestId('export-line')).toHaveText(`export GATEHOUSE_CLI_TOKEN=${token}`);
  return token;
}

test('a collaborator creates a token, uses it, and revokes all credentials', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: DEV_CONSOLE });
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await settled(page);
  await signInWithDevIdp(page, 'Alan Turing');
  await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();
  await expect(page.getByTestId('no-tokens')).toBeVisible();

  await page.getByLabel('Name (optional)').fill('laptop');
  await page.getByRole('button', { name: 'Create token' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  const token = await readNewToken(page);
  await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(dialog.getByRole('button', { name: 'Copied', exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

  const me = await apiMe(token);
  expect(me.status).toBe(200);
  expect((await me.json()).result.email).toBe('alan@example.com');

  await dialog.getByRole('button', { name: /close/ }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);
  const row = page.getByTestId('token-table').getByRole('row', { name: /laptop/ });
  await expect(row).toContainText(`…${token.slice(-6)}`);

  await page.getByRole('button', { name: 'Revoke all credentials' }).click();
  await expect(page.getByRole('dialog')).toContainText('Every token you have stops working');
  await page.getByRole('button', { name: 'Revoke all and issue a new token' }).click();
  await expect(page.getByRole('heading', { name: /All credentials revoked/ })).toBeVisible();
  const fresh = await readNewToken(page);
  expect(fresh).not.toBe(token);

  expect((await apiMe(token)).status).toBe(401);
  expect((await apiMe(fresh)).status).toBe(200);
  await page.getByRole('button', { name: /close/ }).click();
  await expect(page.getByTestId('token-table').getByRole('row')).toHaveCount(2);
});

test('a personal token can expire on a chosen date; a date in the past is refused on the form', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await settled(page);
  await signInWithDevIdp(page, 'Ada Lovelace');
  await page.waitForSelector('body[data-hydrated]');
  await page.getByLabel('Name (optional)').fill('until a date');
  await page.getByLabel('Expires', { exact: true }).selectOption('date');
  const date = page.getByLabel('Expiry date (UTC)');
  await date.fill('2020-01-01');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByTestId('expiry-problem')).toHaveText('Pick a date in the future.');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.getByLabel('Name (optional)')).toHaveValue('until a date');

  const inTenDays = new Date(Date.now() + 10.5 * 86_400_000).toISOString().slice(0, 10);
  await date.fill(inTenDays);
  await page.getByRole('button', { name: 'Create token' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: /close/ }).click();
  await expect(page.getByTestId('expiry-problem')).toHaveText('');
  const row = page.getByTestId('token-table').getByRole('row', { name: /until a date/ });
  await expect(row.getByTestId('token-expiry')).toHaveText(/^expires in (9|10) days$/);
});

test('a dialog takes the focus, keeps it inside, closes on Escape and gives it back', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await settled(page);
  await signInWithDevIdp(page, 'Grace Hopper');
  const opener = page.getByRole('button', { name: 'Revoke all credentials' });
  const dialog = page.getByRole('dialog', { name: 'Revoke all credentials?' });
  // Keyboard only; retried until the page has hydrated (before that, Enter does nothing).
  await expect(async () => {
    await opener.focus();
    await page.keyboard.press('Enter');
    await expect(dialog).toBeVisible({ timeout: 1000 });
  }).toPass();
  const cancel = dialog.getByRole('button', { name: 'Cancel' });
  const confirm = dialog.getByRole('button', { name: 'Revoke all and issue a new token' });
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(cancel).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(confirm).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();
});

test('without a clipboard (plain http), Copy selects the token and says to press Ctrl+C', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
  });
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await settled(page);
  await signInWithDevIdp(page, 'Alan Turing');
  await expect(page.getByRole('heading', { name: 'Credentials' })).toBeVisible();
  await page.getByLabel('Name (optional)').fill('no clipboard');
  await page.getByRole('button', { name: 'Create token' }).click();
  const dialog = page.getByRole('dialog');
  const token = await readNewToken(page);
  await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(dialog.getByRole('status').first()).toContainText('press Ctrl+C');
  expect(await page.evaluate(() => window.getSelection()?.toString())).toBe(token);
  await dialog.getByRole('button', { name: 'Copy line' }).click();
  expect(await page.evaluate(() => window.getSelection()?.toString())).toBe(`export GATEHOUSE_CLI_TOKEN=${token}`);
  await expect(dialog.getByRole('status')).toHaveCount(2);
  await dialog.getByRole('button', { name: /close/ }).click();
});

test('destructive buttons keep a readable contrast in dark mode (WCAG AA, 4.5:1)', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(`${DEV_CONSOLE}/credentials`);
  await settled(page);
  await signInWithDevIdp(page, 'Grace Hopper');
  const button = page.getByRole('button', { name: 'Revoke all credentials' });
  await expect(button).toBeVisible();
  const ratio = await button.evaluate((el) => {
    const rgb = (c: string) => (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    let bg = 'rgba(0, 0, 0, 0)';
    for (let node: Element | null = el; node && /rgba\(0, 0, 0, 0\)|transparent/.test(bg); node = node.parentElement) {
      bg = getComputedStyle(node).backgroundColor;
    }
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(bg))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
  expect(ratio).toBeGreaterThanOrEqual(4.5);
});
