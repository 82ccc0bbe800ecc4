import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ts from 'typescript';
import * as tesseraClient from '../packages/client/src';
import type { TesseraClient } from '../packages/client/src';
import { enrolTotp, totpCode } from './support/admin-session';
import { drainEvents } from './support/events-helpers';
import {
  bearer,
  login,
  PASSWORD,
  register,
  signedInUser,
  uniqueEmail,
} from './support/auth-client';
import { CookieJar } from './support/cookie-jar';
import { createTestApp, type TestApp } from './support/test-app';

/** The host the README snippets name; the test sends their requests to the test app instead. */
const SNIPPET_ORIGIN = 'https://auth.example.com';
/** Past the access-token lifetime (15 min by default) and the verifier's clock leeway. */
const EXPIRE_ACCESS_MS = 17 * 60_000;

type Globals = Record<string, unknown>;

/**
 * Runs a README snippet file as it is: TypeScript to CommonJS (its `declare`s vanish), then the
 * code in an async function (the web-app snippet awaits at top level), with `@tessera/client`
 * resolved to the package and the snippet's declared names given as `globals`.
 */
async function runSnippet(file: string, globals: Globals): Promise<Record<string, unknown>> {
  const source = readFileSync(join(__dirname, '..', 'examples', 'readme', file), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    // As .ts: an .mts name would make TypeScript keep the ES module syntax.
    fileName: file.replace(/\.mts$/, '.ts'),
  });
  const exports: Record<string, unknown> = {};
  const requireForSnippet = (name: string): unknown => {
    if (name === '@tessera/client') return tesseraClient;
    throw new Error(`the snippet imports ${name}, which this test does not provide`);
  };
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  const names = Object.keys(globals);
  const body = new AsyncFunction('require', 'exports', ...names, outputText);
  await body(requireForSnippet, exports, ...names.map((name) => globals[name]));
  return exports;
}

/**
 * The snippets fetch `https://auth.example.com`; this global fetch sends those requests to the
 * test app, keeping a cookie jar as a browser would (cookie mode) and a log of what was sent.
 */
function redirectingFetch(target: () => string, sent: string[], jar: CookieJar): typeof fetch {
  const realFetch = globalThis.fetch;
  return async (input, init) => {
    const original = new Request(input, init);
    if (!original.url.startsWith(SNIPPET_ORIGIN)) return realFetch(original);
    const url = target() + original.url.slice(SNIPPET_ORIGIN.length);
    const headers = new Headers(original.headers);
    const cookie = jar.header();
    if (cookie) headers.set('Cookie', cookie);
    const hasBody = !['GET', 'HEAD'].includes(original.method);
    sent.push(`${original.method} ${new URL(url).pathname}`);
    const response = await realFetch(url, {
      method: original.method,
      headers,
      body: hasBody ? await original.arrayBuffer() : undefined,
    });
    jar.applyLines(response.headers.getSetCookie());
    return response;
  };
}

/** An in-memory stand-in for the platform keychain the mobile snippet expects. */
class MemoryKeychain {
  readonly items = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.items.get(key) ?? null;
  }
  async set(key: string, value: string): Promise<void> {
    this.items.set(key, value);
  }
  async remove(key: string): Promise<void> {
    this.items.delete(key);
  }
}

describe('the README client snippets run against the real app', () => {
  let t: TestApp;
  let baseUrl: string;
  let sent: string[];
  let jar: CookieJar;
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    sent = [];
    jar = new CookieJar();
    globalThis.fetch = redirectingFetch(() => baseUrl, sent, jar);
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });
  afterAll(async () => {
    await t.close();
  });

  it('"From a web app" (cookie mode): second step, sessions, revokeOthers, trust, request', async () => {
    // The sign-in that enrols TOTP stays open: another device, which the snippet signs out.
    const elsewhere = await signedInUser(t);
    const { secret } = await enrolTotp(t, elsewhere.accessToken);
    t.clock.advance(30_000); // the confirming code's step is spent
    await drainEvents(t); // that sign-in's audit records: the activity the snippet reads
    const signedOutReasons: string[] = [];

    const exported = await runSnippet('web-app.mts', {
      email: elsewhere.email,
      password: PASSWORD,
      showSignIn: (reason: string) => signedOutReasons.push(reason),
      askForCode: () => totpCode(t, secret),
    });

    expect(sent).toEqual(
      expect.arrayContaining(['POST /auth/login', 'POST /auth/mfa/verify', 'DELETE /sessions']),
    );
    const activity = exported.activity as { data?: { items: Array<{ type: string }> } };
    expect(activity.data?.items.length).toBeGreaterThan(0);
    expect(signedOutReasons).toEqual([]);
    // revokeOthers ended the other device's session.
    const other = await t.http.get('/auth/me').set(...bearer(elsewhere.accessToken));
    expect(other.body).toMatchObject({ code: 'session_revoked' });
    // The snippet's browser (its cookies) is still signed in, and its own device is trusted.
    const cookie = jar.header();
    const me = await t.http.get('/auth/me').set('Cookie', cookie).expect(200);
    const devices = await t.http.get('/devices').set('Cookie', cookie).expect(200);
    const trusted = (devices.body as { items: Array<{ id: string; trusted: boolean }> }).items
      .filter((device) => device.trusted)
      .map((device) => device.id);
    expect(trusted).toEqual([
      (me.body as { session: { device: { id: string } } }).session.device.id,
    ]);
  });

  it('"From a mobile app" (header mode, keychain storage): sign-in, restart, refresh, signed out', async () => {
    const email = uniqueEmail('mobile');
    await register(t, email);
    const keychain = new MemoryKeychain();
    let signInShown = 0;
    const showSignIn = (): void => void (signInShown += 1);
    const { startTessera } = (await runSnippet('mobile-app.mts', { showSignIn })) as {
      startTessera: (keychain: MemoryKeychain) => Promise<TesseraClient>;
    };

    const first = await startTessera(keychain);
    await first.login({ email, password: PASSWORD });
    const saved = JSON.parse(keychain.items.get('tessera.session') ?? '{}') as {
      refreshToken?: string;
    };
    expect(saved.refreshToken).toEqual(expect.any(String));
    first.close();

    // The app restarts: the session comes back from the keychain, no second sign-in.
    const restarted = await startTessera(keychain);
    expect((await restarted.me()).user.email).toBe(email);
    t.clock.advance(EXPIRE_ACCESS_MS);
    expect(await restarted.sessions.list()).toHaveLength(1);
    expect(sent.filter((route) => route === 'POST /auth/refresh')).toHaveLength(1);
    const rotated = JSON.parse(keychain.items.get('tessera.session') ?? '{}') as {
      refreshToken?: string;
    };
    expect(rotated.refreshToken).toEqual(expect.any(String));
    expect(rotated.refreshToken).not.toBe(saved.refreshToken);

    // Signed out from another device: the app shows its sign-in once and forgets the tokens.
    const admin = await login(t, email);
    await t.http
      .delete('/sessions')
      .set(...bearer(admin.accessToken))
      .expect(204);
    const outcomes = await Promise.allSettled([restarted.me(), restarted.sessions.list()]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(signInShown).toBe(1);
    expect(keychain.items.has('tessera.session')).toBe(false);
    restarted.close();
  });
});
