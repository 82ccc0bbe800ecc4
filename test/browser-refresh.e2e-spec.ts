import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { ARTIFACTS, launchChromium, prepareBrowserSuite } from './support/chromium';
import { createTestApp, type TestApp } from './support/test-app';

/** Past the access-token lifetime (15 min by default) and the verifier's clock leeway. */
const EXPIRE_ACCESS_MS = 17 * 60_000;

/** What a page sees of its document and storage (the test's lib has no DOM). */
interface PageGlobals {
  document: {
    querySelector(selector: string): unknown;
    addEventListener(type: string, listener: () => void): void;
  };
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: { childList: boolean; subtree: boolean }): void;
  };
  signedOutSeen?: boolean;
}

/**
 * Runs in every document of the page before its scripts: remembers whether the signed-out view
 * (what the account page shows on the client's `signedOut`, or on a failed load) ever appeared.
 */
function recordSignedOut(): void {
  const page = globalThis as unknown as PageGlobals;
  const check = (): void => {
    if (page.document.querySelector('[data-testid=signed-out]')) page.signedOutSeen = true;
  };
  new page.MutationObserver(check).observe(page.document, { childList: true, subtree: true });
}

describe('cross-tab refresh of the /account page in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    prepareBrowserSuite();
    t = await createTestApp();
    // localhost: a secure origin to Chromium, so the __Host- cookies stick over http.
    await t.app.listen(0, '127.0.0.1');
    base = `http://localhost:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.close();
  });

  /** Both tabs show the account (this session marked current) with live updates on. */
  async function signedInView(page: Page): Promise<void> {
    await page.waitForSelector('[data-testid=session][data-current=true]', { timeout: 10_000 });
    await page.waitForSelector('#app[data-live=ready]', { timeout: 10_000 });
  }

  async function tab(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    await page.addInitScript(recordSignedOut);
    await page.goto(`${base}/account/`);
    return page;
  }

  function signedOutSeen(page: Page): Promise<boolean> {
    return page.evaluate(() => (globalThis as unknown as PageGlobals).signedOutSeen === true);
  }

  /** One browser profile, two tabs of /account, signed in once (in tab A) through the form. */
  async function twoSignedInTabs(): Promise<{
    context: BrowserContext;
    tabA: Page;
    tabB: Page;
    sessionId: string | null;
  }> {
    const email = uniqueEmail('tabs');
    await register(t, email);
    const context = await browser.newContext();
    contexts.push(context);
    const tabA = await tab(context);
    await tabA.waitForSelector('[data-testid=signed-out]');
    await tabA.fill('input[name=email]', email);
    await tabA.fill('input[name=password]', PASSWORD);
    await tabA.click('button[type=submit]');
    await signedInView(tabA);
    const tabB = await tab(context); // signed in by the shared cookies
    await signedInView(tabB);
    const sessionIds = await Promise.all([tabA, tabB].map(currentSessionId));
    expect(sessionIds[0]).toBe(sessionIds[1]);
    return { context, tabA, tabB, sessionId: sessionIds[0] };
  }

  function currentSessionId(page: Page): Promise<string | null> {
    return page.getAttribute('[data-testid=session][data-current=true]', 'data-session-id');
  }

  /**
   * Counts what the profile sends from now on. The refresh is on a slow network: its answer
   * waits until both tabs have had a call refused (401 token_expired), so the second tab is
   * certain to need a refresh while the first one's is in flight. Without the hold one tab can
   * finish before the other starts, and the test would prove nothing about the lock.
   */
  async function watchRefresh(context: BrowserContext, tabs: Page[]) {
    for (const page of tabs) {
      // A tab not reloaded since it showed the sign-in form starts with a clean record.
      await page.evaluate(
        () => void ((globalThis as unknown as PageGlobals).signedOutSeen = false),
      );
    }
    const sent: string[] = [];
    context.on('request', (request) => {
      sent.push(`${request.method()} ${new URL(request.url()).pathname}`);
    });
    const refreshAnswers: number[] = [];
    context.on('response', (response) => {
      if (new URL(response.url()).pathname === '/auth/refresh') {
        refreshAnswers.push(response.status());
      }
    });
    const expiredIn = new Set<Page>();
    let allExpired = (): void => undefined;
    const allTabsExpired = new Promise<void>((resolve) => (allExpired = resolve));
    for (const page of tabs) {
      page.on('response', (response) => {
        if (response.status() !== 401 || new URL(response.url()).pathname === '/auth/refresh') {
          return;
        }
        expiredIn.add(page);
        if (expiredIn.size === tabs.length) allExpired();
      });
    }
    await context.route('**/auth/refresh', async (route) => {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((resolve) => (timer = setTimeout(resolve, 5_000)));
      await Promise.race([allTabsExpired, bound]);
      clearTimeout(timer);
      await route.continue();
    });
    const count = (route: string | RegExp): number =>
      sent.filter((r) => (typeof route === 'string' ? r === route : route.test(r))).length;
    return { count, refreshAnswers, expiredIn };
  }

  async function screenshots(tabs: Page[], name: string): Promise<void> {
    await Promise.all(
      tabs.map((page, i) =>
        page.screenshot({ path: join(ARTIFACTS, `${name}-tab-${'AB'[i]}.png`), fullPage: true }),
      ),
    );
  }

  it('two tabs of one profile loading with an expired access token send one POST /auth/refresh', async () => {
    const { context, tabA, tabB, sessionId } = await twoSignedInTabs();
    const { count, refreshAnswers, expiredIn } = await watchRefresh(context, [tabA, tabB]);
    t.clock.advance(EXPIRE_ACCESS_MS);

    // Both tabs load at once: each page's client starts without its CSRF token (recovered from
    // GET /auth/csrf for the refresh), and its first calls meet 401 token_expired.
    await Promise.all([tabA.reload(), tabB.reload()]);
    await Promise.all([signedInView(tabA), signedInView(tabB)]);
    await screenshots([tabA, tabB], 'refresh-reload');

    process.stderr.write(
      `[browser-refresh] two reloads: ${count('POST /auth/refresh')} refresh, ` +
        `${count('GET /auth/csrf')} csrf, ${count('GET /auth/me')} me\n`,
    );
    expect(expiredIn.size).toBe(2); // both tabs met the expiry while the refresh was held
    expect(count('POST /auth/refresh')).toBe(1);
    expect(refreshAnswers).toEqual([200]);
    expect(count('GET /auth/csrf')).toBe(1);
    // Both tabs' first calls were refused, and retried after the one refresh.
    expect(count('GET /auth/me')).toBe(4);
    expect(await signedOutSeen(tabA)).toBe(false);
    expect(await signedOutSeen(tabB)).toBe(false);
    expect(await Promise.all([tabA, tabB].map(currentSessionId))).toEqual([sessionId, sessionId]);
  }, 90_000);

  it('a tab that kept its CSRF token (an unsafe call) and a reloading tab share one refresh', async () => {
    const { context, tabA, tabB, sessionId } = await twoSignedInTabs();
    const { count, refreshAnswers, expiredIn } = await watchRefresh(context, [tabA, tabB]);
    t.clock.advance(EXPIRE_ACCESS_MS);

    // Tab A, untouched since its sign-in, trusts its device (POST with the CSRF token from
    // login) while tab B reloads (no token in memory: GET /auth/csrf).
    const mine = '[data-testid=device][data-current=true]';
    await Promise.all([tabA.click(`${mine} [data-testid=trust-device]`), tabB.reload()]);
    await tabA.waitForSelector(`${mine}[data-trusted=true]`, { timeout: 10_000 });
    await signedInView(tabB);
    await screenshots([tabA, tabB], 'refresh-click-reload');

    process.stderr.write(
      `[browser-refresh] click + reload: ${count('POST /auth/refresh')} refresh, ` +
        `${count('GET /auth/csrf')} csrf, ${count(/^POST \/devices\/.+\/trust$/)} trust\n`,
    );
    expect(expiredIn.size).toBe(2);
    expect(count('POST /auth/refresh')).toBe(1);
    expect(refreshAnswers).toEqual([200]);
    expect(count(/^POST \/devices\/.+\/trust$/)).toBe(2); // token_expired, then the retry
    expect(await signedOutSeen(tabA)).toBe(false);
    expect(await signedOutSeen(tabB)).toBe(false);
    expect(await Promise.all([tabA, tabB].map(currentSessionId))).toEqual([sessionId, sessionId]);
  }, 90_000);
});
