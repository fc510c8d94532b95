import { chromium, type Browser } from 'playwright-core';

/** Flags for the system Chromium in CI and containers (DEVELOPERS.md). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launches the Debian `chromium` package; nothing is downloaded. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
