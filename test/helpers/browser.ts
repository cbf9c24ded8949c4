import { type Browser, chromium } from 'playwright-core';
import { inject } from 'vitest';

/** Debian's Chromium (installed by the test setup), headless, no sandbox (tests run as root). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: inject('chromiumPath'), args: ['--no-sandbox'], headless: true });
}
