import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { ARTIFACTS, launchChromium, prepareBrowserSuite, waitForCount } from './support/chromium';
import { createTestApp, type TestApp } from './support/test-app';

/** The acceptance bound: a page revoked elsewhere shows it is signed out within this. */
const SIGN_OUT_WITHIN_MS = 1_000;

describe('the /account page in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    prepareBrowserSuite();
    t = await createTestApp();
    // localhost: Chromium treats it as a secure origin, so Secure (__Host-) cookies stick over http.
    await t.app.listen(0, '127.0.0.1');
    base = `http://localhost:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await t?.close();
  });

  async function newUser(): Promise<string> {
    const email = uniqueEmail('page');
    await register(t, email);
    return email;
  }

  /** A fresh browser profile: a device of its own. */
  async function device(name: string): Promise<Page> {
    const context = await browser.newContext({ userAgent: `Mozilla/5.0 (X11; Linux) ${name}` });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${base}/account/`);
    return page;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.waitForSelector('[data-testid=signed-out]');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=session][data-current=true]');
    await page.waitForSelector('#app[data-live=ready]');
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `account-${name}.png`), fullPage: true });
  }

  it('is served with a same-origin CSP and no inline script', async () => {
    const page = await device('csp-probe');
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    const response = await page.goto(`${base}/account/`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await page.waitForSelector('[data-testid=signed-out]');
    expect(violations).toEqual([]);
  });

  it('two devices: signing one out from the other shows signed-out there within 1 s', async () => {
    const email = await newUser();
    const laptop = await device('laptop');
    const phone = await device('phone');
    await signIn(laptop, email);
    await signIn(phone, email);
    // The laptop learns of the phone's session live (session.created).
    await waitForCount(laptop, '[data-testid=session]', 2);
    await screenshot(laptop, 'two-sessions');

    const revokeAnswered = laptop.waitForResponse(
      (r) =>
        r.request().method() === 'DELETE' && new URL(r.url()).pathname.startsWith('/sessions/'),
    );
    const started = Date.now();
    await laptop.click('[data-testid=session][data-current=false] [data-testid=revoke-session]');
    await revokeAnswered;
    const answeredMs = Date.now() - started;
    await phone.waitForSelector('[data-testid=signed-out]', { timeout: 5_000 });
    const elapsedMs = Date.now() - started;
    process.stderr.write(
      `[account-page] revoke answered after ${answeredMs} ms; the revoked page showed ` +
        `signed-out ${elapsedMs} ms after the click (${elapsedMs - answeredMs} ms after the answer)\n`,
    );
    await screenshot(phone, 'revoked-elsewhere');

    // From the revocation's answer: under CPU contention the DELETE itself can take longer than
    // the push; the push (live event to signed-out page) is what this bound is about.
    expect(elapsedMs - answeredMs).toBeLessThan(SIGN_OUT_WITHIN_MS);
    await waitForCount(laptop, '[data-testid=session]', 1);
  }, 60_000);

  it('sets the auth cookies __Host-, HttpOnly, Secure and SameSite, out of reach of scripts', async () => {
    const email = await newUser();
    const page = await device('cookies');
    await signIn(page, email);
    const cookies = await page.context().cookies(base);
    const access = cookies.find((c) => c.name === '__Host-tessera_at');
    const refresh = cookies.find((c) => c.name === '__Host-tessera_rt');
    for (const cookie of [access, refresh]) {
      expect(cookie).toMatchObject({
        httpOnly: true,
        secure: true,
        path: '/',
        domain: 'localhost',
      });
    }
    expect(access?.sameSite).toBe('Lax');
    expect(refresh?.sameSite).toBe('Strict');
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: { cookie: string } }).document.cookie,
      ),
    ).not.toMatch(/tessera_(at|rt)/);
  });

  it('refuses an unsafe call from the page without X-CSRF-Token (403 csrf_failed)', async () => {
    const email = await newUser();
    const page = await device('csrf');
    await signIn(page, email);
    const answer = await page.evaluate(async () => {
      const response = await fetch('/sessions', { method: 'DELETE', credentials: 'include' });
      return { status: response.status, body: (await response.json()) as { code?: string } };
    });
    expect(answer).toEqual({ status: 403, body: expect.objectContaining({ code: 'csrf_failed' }) });
    // The page's own client sends the token: the same call from its button goes through.
    const other = await device('csrf-other');
    await signIn(other, email);
    await waitForCount(page, '[data-testid=session]', 2);
    await page.click('[data-testid=revoke-others]');
    await other.waitForSelector('[data-testid=signed-out]', { timeout: 5_000 });
  }, 60_000);

  it('renames and trusts this device, forgets another, signs out all other sessions', async () => {
    const email = await newUser();
    const desk = await device('desk');
    const tablet = await device('tablet');
    await signIn(desk, email);
    await signIn(tablet, email);
    await waitForCount(desk, '[data-testid=session]', 2);

    const mine = '[data-testid=device][data-current=true]';
    await desk.fill(`${mine} input[name=device-name]`, 'Desk at home');
    await desk.click(`${mine} [data-testid=rename-device]`);
    await desk.waitForSelector(`${mine} strong:text-is("Desk at home")`);
    await desk.click(`${mine} [data-testid=trust-device]`);
    await desk.waitForSelector(`${mine}[data-trusted=true]`);
    await screenshot(desk, 'devices');

    await desk.click('[data-testid=revoke-others]');
    await tablet.waitForSelector('[data-testid=signed-out]', { timeout: 5_000 });
    await waitForCount(desk, '[data-testid=session]', 1);

    await desk.click('[data-testid=device][data-current=false] [data-testid=forget-device]');
    await waitForCount(desk, '[data-testid=device]', 1);
    expect(await desk.locator('[data-testid=signed-out]').count()).toBe(0);
  }, 60_000);
});
