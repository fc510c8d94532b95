import { chromium, type Browser } from 'playwright-core';

/**
 * Flags for a system Chromium in CI and containers:
 * - `--headless`: there is no display server.
 * - `--no-sandbox`: CI and containers run the tests as root, and Chromium refuses to start its sandbox
 *   as root (nor can it without user namespaces, which containers often lack).
 * - `--disable-gpu`: there is no GPU; without the flag Chromium tries and logs GPU process failures.
 * - `--disable-background-networking`, `--disable-component-update`, `--disable-sync`: no calls to
 *   Google services and no component downloads, so the tests stay offline and only talk to the demo.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Launches the installed Chromium at `CHROMIUM_PATH`, else the Debian `chromium` package's
 * `/usr/bin/chromium` (`.ci/run` finds an installed Chromium or Chrome, or installs `chromium` with apt);
 * playwright-core drives it and downloads nothing.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
