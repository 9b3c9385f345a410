/**
 * The dashboard in a real browser (Debian's Chromium, driven by playwright-core): it shows each
 * check's state and the incidents, and asks for the status token when one is set.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, RunningEngine, startTarget, tempDir, waitFor, waitUp, writeConfig } from './harness.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let browser: Browser;
let target: Awaited<ReturnType<typeof startTarget>>;
let engine: RunningEngine;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  target = await startTarget();
  const port = await freePort();
  const dir = tempDir();
  const config = writeConfig(dir, `version: 1
settings: { statusToken: dash-token }
defaults: { interval: 1s, timeout: 500ms, failures: 1 }
channels:
  out: { type: console }
services:
  - name: shop
    group: acme/prod
    alert: [out]
    checks:
      - name: api
        http: { url: "${target.url}" }
      - name: broken
        http: { url: "${target.url}" }
        expect: { body: "^never$" }
`);
  engine = new RunningEngine(['-c', config, '--port', String(port), '--data', join(dir, 'data')]);
  await waitUp(port);
  base = `http://127.0.0.1:${port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  engine?.kill('SIGKILL');
  await engine?.exited;
  await target?.close();
});

it('asks for the token, then lists checks with their state and the open incident', async () => {
  await waitFor('the broken check to open an incident', () => engine.stdout.includes('shop/broken is DOWN'));
  const page = await browser.newPage();
  await page.goto(base);
  await page.getByLabel('Status token').waitFor({ state: 'visible' });
  await expect(page.locator('#summary').textContent()).resolves.toMatch(/status token is required/);
  await page.getByLabel('Status token').fill('dash-token');
  await page.getByRole('button', { name: 'Use token' }).click();

  const api = page.locator('tr[data-check="shop/api"]');
  const broken = page.locator('tr[data-check="shop/broken"]');
  await api.waitFor();
  await expect(api.locator('.state').textContent()).resolves.toBe('up');
  await expect(broken.locator('.state').textContent()).resolves.toBe('down');
  await expect(broken.locator('.reason').textContent()).resolves.toBe('body does not match /^never$/');
  await expect(page.locator('#summary').textContent()).resolves.toMatch(/^2 checks: 1 up, 1 down, 0 degraded, 0 pending/);
  const incident = page.locator('#incidents tbody tr').first();
  await expect(incident.textContent()).resolves.toContain('shop/broken');
  await expect(incident.locator('td').nth(2).textContent()).resolves.toBe('open');
  await page.screenshot({ path: join(tempDir('pagerless-shot-'), 'dashboard.png'), fullPage: true });

  // The page refreshes by itself: the target starts failing and the row turns down.
  target.setMode('error');
  await waitFor('the api row to turn down', async () => (await api.locator('.state').textContent()) === 'down', 20_000);
  await page.close();
});
