import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = resolve(__dirname, '..', '..');

/** Where browser tests leave their screenshots (kept as CI artifacts). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The system Chromium that scripts/ensure-os-packages.sh installs (no browser download). */
function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    return '/usr/bin/chromium';
  }
}

/**
 * Installs Chromium from the OS packages when it is missing, builds the account page when it is
 * stale, and makes the artifacts directory: what every browser suite needs before it starts.
 */
export function prepareBrowserSuite(): void {
  execFileSync(join(ROOT, 'scripts', 'ensure-os-packages.sh'), ['chromium:chromium'], {
    stdio: 'inherit',
  });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-account-if-stale.js')], {
    stdio: 'inherit',
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}

/** Headless system Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

/** The page's document, typed for the few calls made on it (the test's lib has no DOM). */
interface PageDocument {
  querySelectorAll(selector: string): { length: number };
}

/**
 * Waits until the page shows exactly `n` elements matching `selector`. A function, not a string
 * expression: the page's CSP forbids eval, which string predicates need.
 */
export async function waitForCount(page: Page, selector: string, n: number): Promise<void> {
  await page.waitForFunction(
    ([sel, count]) =>
      (globalThis as unknown as { document: PageDocument }).document.querySelectorAll(sel)
        .length === count,
    [selector, n] as const,
  );
}
