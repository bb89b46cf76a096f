import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AppDeps } from '../../src/deps.ts';
import { createApp } from '../../src/http/app.ts';
import { DEMO, seedDemoIfEmpty } from '../../src/tenancy/seed.ts';
import { testDeps, type TestDb } from '../support/db.ts';
import { freePort } from '../support/net.ts';

/**
 * The Chromium the end-to-end tests drive: the system's (Debian's package,
 * which .ci/run installs when missing), or the one SLOTWISE_CHROMIUM names.
 * Playwright's own browser download is not used.
 */
export function chromiumPath(): string {
  const candidates = [process.env.SLOTWISE_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) {
    throw new Error(
      'No Chromium for the end-to-end tests: install it (Debian: apt-get install -y chromium) ' +
        'or set SLOTWISE_CHROMIUM to a Chromium or Chrome executable.',
    );
  }
  return found;
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  // Talk to the local server directly, whatever proxy the environment sets.
  '--no-proxy-server',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * The demo tenant served on 127.0.0.1 for a browser: a fresh test database,
 * the seed, `BASE_DOMAIN=localhost:<port>` (Chromium resolves *.localhost
 * by itself) and a real clock, since the page's JavaScript runs on real
 * time too; `now` sets the server's clock instead (the grids' "now" line at
 * a chosen time of day).
 */
export async function serveDemo(t: TestDb, opts: { now?: () => Date } = {}): Promise<{ deps: AppDeps; origin: string; close: () => Promise<void> }> {
  const port = await freePort();
  const deps: AppDeps = { ...testDeps(t, undefined, { BASE_DOMAIN: `localhost:${port}`, RATE_LIMIT_MULTIPLIER: '1000' }), now: opts.now ?? (() => new Date()) };
  // Without the demo's bookings: the tests choose the times they book.
  if (!(await seedDemoIfEmpty(deps, { bookings: false }))) throw new Error('the demo tenant was not seeded into a fresh database');
  const server: Server = createApp(deps).listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return {
    deps,
    origin: `http://demo.localhost:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A phone-sized page (touch, 2× pixels) signed in through the login form as the demo owner, on the dashboard. */
export async function demoOwnerOnPhone(browser: Browser, origin: string, viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ viewport, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(`${origin}/login`);
  await page.getByLabel('Email').fill(DEMO.email);
  await page.getByLabel('Password').fill(DEMO.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/admin`);
  return page;
}
