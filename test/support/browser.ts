/**
 * Real Chromium for the e2e tests: Debian's /usr/bin/chromium driven by playwright-core, headless,
 * a fresh profile each launch, nothing talking to the network.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.LIGHTER_CHROMIUM ?? '/usr/bin/chromium';

/**
 * True when Chromium is there. Missing in CI is a failure (thrown); elsewhere the tests are skipped
 * with a loud reason.
 */
export function hasChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  const reason = `Chromium not found at ${CHROMIUM} (Debian package "chromium"); e2e tests need it.`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`\n*** SKIPPED: ${reason} ***\n`);
  return false;
}

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  // playwright gives every launch a fresh temporary profile (it refuses --user-data-dir in args).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright's own headless switch would add its flags; we pass the ones known to work here.
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}
