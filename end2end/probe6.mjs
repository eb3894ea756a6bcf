import { chromium } from '@playwright/test';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-quic','--no-first-run','--disable-background-networking','--disable-component-update','--disable-sync'] });
const base='http://127.0.0.1:3000';
const ctx0 = await b.newContext(); const p0 = await ctx0.newPage();
await p0.goto(`${base}/signin`);
await p0.getByRole('link', { name: 'Sign in with SSO' }).click();
await p0.getByRole('button', { name: 'Sign in as Ada Lovelace' }).click();
await p0.waitForURL(`${base}/`);
const cookies = await ctx0.cookies();
for (const path of ['/', '/iam/service-accounts']) {
  const t = [];
  for (let run = 0; run < 7; run++) {
    const ctx = await b.newContext(); await ctx.addCookies(cookies); const p = await ctx.newPage();
    const cdp = await ctx.newCDPSession(p);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40, downloadThroughput: 10e6/8, uploadThroughput: 5e6/8 });
    const s = performance.now();
    await p.goto(`${base}${path}`);
    await p.waitForSelector('body[data-hydrated]');
    t.push(performance.now() - s);
    await ctx.close();
  }
  t.sort((a,b)=>a-b);
  console.log(path, 'p50', Math.round(t[3]), 'min', Math.round(t[0]), 'max', Math.round(t[6]));
}
await b.close();
