import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
