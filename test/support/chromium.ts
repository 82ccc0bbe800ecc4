import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
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

/**
 * A browser suite's screenshots: `test-artifacts/<prefix>-<test>-<step>.png`. The suite's old files
 * go at start-up (a failing run must not leave the previous run's images looking current), and
 * one line at the end lists what this run wrote.
 */
export class ScreenshotLog {
  readonly written: string[] = [];

  constructor(private readonly prefix: string) {}

  /** Deletes this suite's files from earlier runs. */
  clear(): void {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) {
      if (file.startsWith(`${this.prefix}-`)) rmSync(join(ARTIFACTS, file), { force: true });
    }
  }

  /** A full-page screenshot named by the running test and the step; never fails the test. */
  async take(page: Page, step: string): Promise<void> {
    const test = slug(expect.getState().currentTestName ?? 'suite');
    const file = `${this.prefix}-${test}-${slug(step)}.png`;
    try {
      await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true, timeout: 5_000 });
      this.written.push(file);
    } catch {
      // A closed page or a crashed browser: the test's own failure says more than this would.
    }
  }

  /** Runs a test body; when it throws, screenshots every page it names, then rethrows. */
  async onFailure(pages: () => Page[], body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      for (const [i, page] of pages().entries()) await this.take(page, `failed-${i + 1}`);
      throw error;
    }
  }

  /** One line listing the files written (or that there were none). */
  report(): void {
    process.stderr.write(
      `[${this.prefix}] screenshots in ${ARTIFACTS}: ${this.written.join(', ') || 'none'}\n`,
    );
  }
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}
