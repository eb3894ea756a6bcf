import { expect, test, type Browser } from '@playwright/test';
import { DEV_CONSOLE, expectSignedInAs, signInWithDevIdp, settled } from './fixtures';

/** Signs a demo user in once in a separate browser, so they are a member. */
async function signInOnce(browser: Browser, name: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${DEV_CONSOLE}/signin`);
  await settled(page);
  await signInWithDevIdp(page, name);
  await expect(page.getByTestId('user-email')).toBeVisible();
  return { context, page };
}

test('an owner changes a collaborator role and removes a member', async ({ page, browser }) => {
  const grace = await signInOnce(browser, 'Grace Hopper');
  const alan = await signInOnce(browser, 'Alan Turing');

  await page.goto(`${DEV_CONSOLE}/iam`);
  await settled(page);
  await signInWithDevIdp(page, 'Ada Lovelace');
  const table = page.getByTestId('member-table');
  const graceRow = table.locator('tr[data-email="grace@example.com"]');
  const graceRole = graceRow.getByTestId('member-role');
  await expect(graceRole).toHaveText(/^(owner|collaborator)$/);
  // Arrange: the suite shares one console, so an earlier run may have left Grace an owner.
  if ((await graceRole.textContent()) === 'owner') {
    await graceRow.getByRole('button', { name: 'Make collaborator' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Make collaborator' }).click();
  }
  await expect(graceRole).toHaveText('collaborator');

  await graceRow.getByRole('button', { name: 'Make owner' }).click();
  await expect(page.getByRole('dialog')).toContainText('Make grace@example.com an owner?');
  await page.getByRole('dialog').getByRole('button', { name: 'Make owner' }).click();
  await expect(graceRole).toHaveText('owner');
  await grace.page.reload();
  await expectSignedInAs(grace.page, { email: 'grace@example.com', role: 'owner', org: 'Acme ML (dev)' });

  const alanRow = table.locator('tr[data-email="alan@example.com"]');
  await alanRow.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('dialog')).toContainText('Remove alan@example.com?');
  // The keys a departing member created go with them unless the owner says otherwise.
  await expect(page.getByRole('dialog').getByRole('checkbox', { name: /Also revoke the service-account keys/ })).toBeChecked();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove member' }).click();
  await expect(alanRow).toHaveCount(0);

  // Alan's session ended on the server: his next page load goes to sign-in.
  await alan.page.goto(`${DEV_CONSOLE}/`);
  await settled(alan.page);
  await expect(alan.page).toHaveURL(/\/signin/);
  // The IdP still lets him in, but Gatehouse does not, and says why.
  await signInWithDevIdp(alan.page, 'Alan Turing');
  await expect(alan.page.getByTestId('signin-error')).toContainText(
    'An owner (ada@example.com) removed alan@example.com from Acme ML (dev)',
  );
  await expect(alan.page.getByTestId('signin-error')).toContainText('Ask an owner to allow you back');

  // The owner allows him back from the Removed members list; his next sign-in works.
  const removed = page.getByTestId('removed-table').locator('tr[data-email="alan@example.com"]');
  await page.reload();
  await removed.getByRole('button', { name: 'Allow back' }).click();
  await expect(page.getByRole('dialog')).toContainText('Allow alan@example.com back?');
  await page.getByRole('dialog').getByRole('button', { name: 'Allow back' }).click();
  await expect(page.getByRole('status')).toContainText('Allowed back');
  await expect(removed).toHaveCount(0);
  await alan.page.goto(`${DEV_CONSOLE}/`);
  await settled(alan.page);
  await signInWithDevIdp(alan.page, 'Alan Turing');
  await expectSignedInAs(alan.page, { email: 'alan@example.com', role: 'collaborator', org: 'Acme ML (dev)' });
  await grace.context.close();
  await alan.context.close();
});

test('a collaborator sees the members but no owner controls, and the server refuses them', async ({ page }) => {
  await page.goto(`${DEV_CONSOLE}/iam`);
  await settled(page);
  await signInWithDevIdp(page, 'Alan Turing');
  await expect(page.getByTestId('member-table')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove' })).toHaveCount(0);
  await expect(page.getByText('Only owners can change roles or remove members.')).toBeVisible();

  // Searching by email prefix (case-insensitive), the empty result, and clearing the search.
  const search = page.getByRole('search');
  await search.getByLabel('Email').fill('ALAN');
  await search.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByTestId('member-table').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('member-table').locator('tr[data-email="alan@example.com"]')).toBeVisible();
  await search.getByLabel('Email').fill('nobody-');
  await search.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByTestId('no-members')).toHaveText("No member's email starts with that.");
  await search.getByRole('button', { name: 'Clear' }).click();
  await expect(page.getByTestId('member-table').locator('tr[data-email="alan@example.com"]')).toBeVisible();

  // Calling the server function directly with this browser's session is refused.
  // Same origin, as the console itself would send it: the refusal is the owner check's.
  const refused = await page.request.post(`${DEV_CONSOLE}/fn/owner/remove_user`, {
    form: { user_id: 'usr_00000000000000000000000000000000' },
    headers: { origin: DEV_CONSOLE },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toEqual({ code: 'owners_only' });
});
