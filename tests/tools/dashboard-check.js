// Drives the dashboard in headless Chromium as a user would: sign in, wait for the
// charts, read what they show, change filters, read again; screenshots both.
// Plan (argv[2]): { url, email, password, screenshots, filters: { inputId: value } }
'use strict';

const path = require('path');
const { chromium } = require('playwright-core');

const plan = JSON.parse(process.argv[2]);

async function read(page) {
  return page.evaluate(() => {
    const bars = (id) => [...document.querySelectorAll(`#${id} rect.bar`)];
    return {
      total: Number(document.getElementById('total').textContent),
      types: bars('chart-types').map((r) => [r.dataset.label, Number(r.dataset.value)]),
      dayBars: bars('chart-days').map((r) => [r.dataset.date, r.dataset.domain, Number(r.dataset.value)]),
      locationBars: bars('chart-locations').map((r) => [r.dataset.label, Number(r.dataset.value)]),
      locationRows: [...document.querySelectorAll('#location-table tbody tr')].map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      legend: [...document.querySelectorAll('#legend-days span')].map((s) => s.textContent),
      error: document.getElementById('filter-error').textContent,
    };
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: plan.chromium || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await page.goto(`${plan.url}/dashboard`);
    // A wrong password is refused on the page.
    await page.fill('#email', plan.email);
    await page.fill('#password', 'not-the-password');
    await page.click('#sign-in');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.length > 0);
    const loginError = await page.textContent('#login-error');
    await page.fill('#password', plan.password);
    await page.click('#sign-in');
    await page.waitForSelector('#total[data-loaded="true"]', { timeout: 30000 });
    const before = await read(page);
    const first = path.join(plan.screenshots, 'dashboard-signed-in.png');
    await page.screenshot({ path: first, fullPage: true });

    for (const [id, value] of Object.entries(plan.filters)) await page.fill(`#${id}`, value);
    await page.click('#apply');
    await page.waitForSelector('#total[data-loaded="true"]', { timeout: 30000 });
    const after = await read(page);
    const second = path.join(plan.screenshots, 'dashboard-filtered.png');
    await page.screenshot({ path: second, fullPage: true });
    process.stdout.write(JSON.stringify({ loginError, before, after, screenshots: [first, second] }) + '\n');
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
