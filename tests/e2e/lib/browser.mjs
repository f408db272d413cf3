// Starts Debian's headless Chromium through playwright-core (Playwright's own browser
// download does not work on these machines). Every browser test uses this.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Saves a screenshot under $E2E_OUT (or /tmp) and fails when it is blank: a page that
// rendered nothing is a PNG of one colour, which compresses to a few kilobytes at most.
export async function screenshot(page, name, minBytes = 6000) {
  const dir = process.env.E2E_OUT || '/tmp/reglament-e2e';
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  const png = await page.screenshot({ path: file, fullPage: true });
  if (png.length < minBytes) throw new Error(`screenshot ${file} looks blank (${png.length} bytes)`);
  return file;
}

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}
