import type { AddressInfo } from 'node:net';
import {
  createTesseraClient,
  memoryStorage,
  TesseraError,
  type TesseraClient,
  type TesseraClientOptions,
  type TesseraStorage,
} from '../packages/client/src';
import { enrolTotp, totpCode } from './support/admin-session';
import { drainEvents } from './support/events-helpers';
import { bearer, PASSWORD, register, signedInUser, uniqueEmail } from './support/auth-client';
import { CookieJar } from './support/cookie-jar';
import { createTestApp, type TestApp } from './support/test-app';

/** Past the access-token lifetime (1 min here) and the verifier's clock leeway. */
const EXPIRE_ACCESS_MS = 2 * 60_000;

/** Counts what the clients send, per "METHOD /path". */
class WireLog {
  private readonly counts = new Map<string, number>();

  count(route: string): number {
    return this.counts.get(route) ?? 0;
  }

  wrap(send: (request: Request) => Promise<Response>) {
    return (request: Request): Promise<Response> => {
      const route = `${request.method} ${new URL(request.url).pathname}`;
      this.counts.set(route, this.count(route) + 1);
      return send(request);
    };
  }
}

/** A cookie jar for Node's fetch (a browser keeps these cookies itself). */
function cookieJarFetch(): (request: Request) => Promise<Response> {
  const jar = new CookieJar();
  return async (request) => {
    const cookie = jar.header();
    if (cookie) request.headers.set('Cookie', cookie);
    const response = await fetch(request);
    jar.applyLines(response.headers.getSetCookie());
    return response;
  };
}

let channels = 0;

describe('@tessera/client against the real server', () => {
  let t: TestApp;
  let baseUrl: string;
  const clients: TesseraClient[] = [];

  beforeAll(async () => {
    t = await createTestApp({ env: { ACCESS_TOKEN_TTL: '1m', REFRESH_REUSE_GRACE: '0s' } });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await t.close();
  });

  function client(options: Partial<TesseraClientOptions> & { wire: WireLog }): TesseraClient {
    const { wire, ...rest } = options;
    const created = createTesseraClient({
      baseUrl,
      transport: 'header',
      ...rest,
      fetch: wire.wrap(rest.fetch ?? ((request) => fetch(request))),
    });
    clients.push(created);
    return created;
  }

  async function newUser(): Promise<string> {
    const email = uniqueEmail('sdk');
    await register(t, email);
    return email;
  }

  function sharedTabs(wire: WireLog, storage: TesseraStorage): [TesseraClient, TesseraClient] {
    channels += 1;
    const channelName = `sdk-e2e-${process.pid}-${channels}`;
    return [client({ wire, storage, channelName }), client({ wire, storage, channelName })];
  }

  it('50 concurrent calls with an expired access token send exactly one refresh', async () => {
    const wire = new WireLog();
    const sdk = client({ wire });
    await sdk.login({ email: await newUser(), password: PASSWORD });
    t.clock.advance(EXPIRE_ACCESS_MS);

    const lists = await Promise.all(Array.from({ length: 50 }, () => sdk.sessions.list()));

    expect(wire.count('POST /auth/refresh')).toBe(1);
    expect(wire.count('GET /sessions')).toBe(100); // 50 refused as token_expired, 50 retried
    expect(lists.every((items) => items.length === 1 && items[0].current)).toBe(true);
  });

  it('two tabs sharing storage and a channel send one refresh between them', async () => {
    const wire = new WireLog();
    const [tabA, tabB] = sharedTabs(wire, memoryStorage());
    await tabA.login({ email: await newUser(), password: PASSWORD });
    t.clock.advance(EXPIRE_ACCESS_MS);

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? tabB : tabA).me()),
    );

    expect(wire.count('POST /auth/refresh')).toBe(1);
    expect(new Set(results.map((r) => r.session.id)).size).toBe(1);
  });

  it('refresh token reuse signs each tab out once and fails every waiting call', async () => {
    const wire = new WireLog();
    const storage = memoryStorage();
    const [tabA, tabB] = sharedTabs(wire, storage);
    const signedOut: string[] = [];
    tabA.on('signedOut', ({ reason }) => signedOut.push(`A:${reason}`));
    tabB.on('signedOut', ({ reason }) => signedOut.push(`B:${reason}`));
    await tabA.login({ email: await newUser(), password: PASSWORD });
    const copied = storage.getItem('tessera.session') ?? '';
    t.clock.advance(EXPIRE_ACCESS_MS);
    await tabA.sessions.list(); // rotates: the copied refresh token is now spent
    storage.setItem('tessera.session', copied);
    t.clock.advance(EXPIRE_ACCESS_MS);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? tabB : tabA).sessions.list()),
    );
    await new Promise((resolve) => setTimeout(resolve, 100)); // the peer's message

    expect(wire.count('POST /auth/refresh')).toBe(2);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    const codes = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as TesseraError).code : 'ok',
    );
    expect(codes).toContain('refresh_token_reused');
    // Once per tab. A tab whose own call already met the revoked session may say so instead.
    expect(signedOut.filter((e) => e.startsWith('A:'))).toEqual(['A:refresh_token_reused']);
    expect(signedOut.filter((e) => e.startsWith('B:'))).toHaveLength(1);
    expect(signedOut[0]).toMatch(/reused|revoked/);
    expect(storage.getItem('tessera.session')).toBeNull();
  });

  it('cookie mode: no tokens in storage, X-CSRF-Token on unsafe calls, one refresh for 50 calls', async () => {
    const wire = new WireLog();
    const storage = memoryStorage();
    const sdk = client({ wire, transport: 'cookie', storage, fetch: cookieJarFetch() });
    const email = await newUser();
    const login = await sdk.login({ email, password: PASSWORD });
    expect(login.status).toBe('signed_in');
    expect(storage.getItem('tessera.session')).not.toMatch(/accessToken|refreshToken|eyJ/);

    const other = client({ wire: new WireLog() });
    await other.login({ email, password: PASSWORD });
    t.clock.advance(EXPIRE_ACCESS_MS);
    const lists = await Promise.all(Array.from({ length: 50 }, () => sdk.sessions.list()));
    expect(wire.count('POST /auth/refresh')).toBe(1);
    expect(lists[0]).toHaveLength(2);

    // An unsafe call authenticated by cookie goes through only with the CSRF token.
    const otherId = lists[0].find((s) => !s.current)?.id ?? '';
    await sdk.sessions.revoke(otherId);
    await expect(other.me()).rejects.toMatchObject({ code: 'session_revoked' });
  });

  it('signs out once when the session is revoked elsewhere', async () => {
    const wire = new WireLog();
    const sdk = client({ wire });
    const events: string[] = [];
    sdk.on('signedOut', ({ reason }) => events.push(reason));
    const email = await newUser();
    await sdk.login({ email, password: PASSWORD });
    const admin = client({ wire: new WireLog() });
    await admin.login({ email, password: PASSWORD });
    await admin.sessions.revokeOthers();

    const outcomes = await Promise.allSettled([sdk.me(), sdk.sessions.list(), sdk.devices.list()]);

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(events).toEqual(['session_revoked']);
  });

  it('login answers mfa_required, and verifyMfa completes the sign-in', async () => {
    const user = await signedInUser(t);
    const { secret } = await enrolTotp(t, user.accessToken);
    await t.http
      .post('/auth/logout')
      .set(...bearer(user.accessToken))
      .expect(204);
    t.clock.advance(30_000); // the confirming code's step is spent
    const sdk = client({ wire: new WireLog() });

    const first = await sdk.login({ email: user.email, password: PASSWORD });
    if (first.status !== 'mfa_required') throw new Error(`expected mfa_required: ${first.status}`);
    expect(first.methods).toContain('totp');
    const second = await sdk.verifyMfa({
      mfaToken: first.mfaToken,
      method: 'totp',
      code: await totpCode(t, secret),
    });

    expect(second.status).toBe('signed_in');
    expect((await sdk.me()).user.email).toBe(user.email);
  });

  it('logout: signedOut once, the session ends on the server, then me() rejects as unauthenticated', async () => {
    const wire = new WireLog();
    const storage = memoryStorage();
    const sdk = client({ wire, storage });
    const events: string[] = [];
    sdk.on('signedOut', ({ reason }) => events.push(reason));
    await sdk.login({ email: await newUser(), password: PASSWORD });
    const { accessToken } = JSON.parse(storage.getItem('tessera.session') ?? '{}') as {
      accessToken?: string;
    };

    await sdk.logout();

    expect(events).toEqual(['logout']);
    expect(wire.count('POST /auth/logout')).toBe(1);
    expect(storage.getItem('tessera.session')).toBeNull();
    await expect(sdk.me()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    // The old access token is refused too: the server ended the session, not only the client.
    const old = await t.http.get('/auth/me').set(...bearer(accessToken ?? ''));
    expect(old.status).toBe(401);
    expect(events).toEqual(['logout']);
  });

  it('logoutAll: this client and another client of the same user are both signed out', async () => {
    const email = await newUser();
    const phone = client({ wire: new WireLog() });
    const laptop = client({ wire: new WireLog() });
    const events: string[] = [];
    phone.on('signedOut', ({ reason }) => events.push(`phone:${reason}`));
    laptop.on('signedOut', ({ reason }) => events.push(`laptop:${reason}`));
    await phone.login({ email, password: PASSWORD });
    await laptop.login({ email, password: PASSWORD });
    expect(await laptop.sessions.list()).toHaveLength(2);

    await phone.logoutAll();

    await expect(phone.me()).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(laptop.me()).rejects.toMatchObject({ status: 401, code: 'session_revoked' });
    expect(events).toEqual(['phone:logout_all', 'laptop:session_revoked']);
  });

  it('request reaches a route the typed helpers do not wrap, refreshing like the others', async () => {
    const wire = new WireLog();
    const sdk = client({ wire });
    await sdk.login({ email: await newUser(), password: PASSWORD });
    await drainEvents(t); // the sign-in's audit record is written from the outbox
    t.clock.advance(EXPIRE_ACCESS_MS);

    const { data, error, response } = await sdk.request.GET('/me/activity', {
      params: { query: { limit: 10 } },
    });

    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(wire.count('POST /auth/refresh')).toBe(1);
    expect(wire.count('GET /me/activity')).toBe(2); // token_expired, then the retry
    expect(data?.items.map((item) => item.type)).toContain('auth.login.succeeded');
  });

  it('devices.untrust stops trusting a device that devices.trust trusted', async () => {
    const sdk = client({ wire: new WireLog() });
    await sdk.login({ email: await newUser(), password: PASSWORD });
    const [device] = await sdk.devices.list();
    expect(device.trusted).toBe(false);

    await sdk.devices.trust(device.id);
    expect((await sdk.devices.list()).find((d) => d.id === device.id)?.trusted).toBe(true);
    await sdk.devices.untrust(device.id);

    expect((await sdk.devices.list()).find((d) => d.id === device.id)?.trusted).toBe(false);
  });

  it('a wrong password fails with the contract code', async () => {
    const sdk = client({ wire: new WireLog() });
    await expect(
      sdk.login({ email: await newUser(), password: 'wrong password!' }),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_credentials' });
  });
});
