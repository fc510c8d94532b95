import { chromium, type Browser } from 'playwright-core';

// Shared by the client's and the demo's browser tests, so both launch Chromium the same way.

/**
 * Flags for a system Chromium in CI and containers:
 * - `--headless`: there is no display server.
 * - `--no-sandbox`: CI and containers run the tests as root, and Chromium refuses to start its sandbox
 *   as root (nor can it without user namespaces, which containers often lack).
 * - `--disable-gpu`: there is no GPU; without the flag Chromium tries and logs GPU process failures.
 * - `--disable-background-networking`, `--disable-component-update`, `--disable-sync`: no calls to
 *   Google services and no component downloads, so the tests stay offline and only talk to our pages.
 * - `--disable-dev-shm-usage`: containers often give `/dev/shm` only 64 MB, where Chromium's shared
 *   memory runs out under load and the tab crashes; temporary files serve instead.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Launches the installed Chromium at `CHROMIUM_PATH`, else the Debian `chromium` package's
 * `/usr/bin/chromium` (`.ci/run` finds an installed Chromium or Chrome, or installs `chromium` with apt);
 * playwright-core drives it and downloads nothing.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
