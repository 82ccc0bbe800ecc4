/**
 * Issue 13: @tessera/verifier subscribes to the revocation feed as a registered service client
 * (revocations:read, no shared secret configured). Its client_credentials tokens live
 * SERVICE_TOKEN_TTL (1 min here), while the feed lives as long as the connection: a reconnect
 * after the expiry needs a new token, fetched before the old one lapses or after a refusal. A TCP proxy between the verifier and the real
 * app drops the connection; the app's ManualClock moves the token past its expiry. Also: the
 * Express middleware in a real Express app over real HTTP.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createVerifier, type Verifier, type VerifierOptions } from '../packages/verifier/src';
import { tesseraAuth, type TesseraRequest } from '../packages/verifier/src/express';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { bearer, signedInUser } from './support/auth-client';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, type TestApp } from './support/test-app';

const SERVICE_TOKEN_TTL_MS = 60_000;
/** Past the token's exp and Tessera's 5 s clock tolerance. */
const PAST_EXPIRY_MS = SERVICE_TOKEN_TTL_MS + 10_000;
const ISSUER = 'http://localhost:3000'; // PUBLIC_URL's default, so the tokens' iss

interface ServiceClient {
  clientId: string;
  clientSecret: string;
}

/** Every response the verifier got from Tessera, as `METHOD /path status`, and feed bearers. */
class Wire {
  readonly responses: string[] = [];
  readonly feedBearers: string[] = [];

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : (input as URL).href);
    const method = init?.method ?? 'GET';
    const authorization = new Headers(init?.headers).get('authorization') ?? '';
    if (url.pathname === '/oauth/revocations') this.feedBearers.push(authorization.slice(7));
    const res = await fetch(input, init);
    this.responses.push(`${method} ${url.pathname} ${res.status}`);
    return res;
  };

  count(line: string): number {
    return this.responses.filter((r) => r === line).length;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

/** Verifies until the verifier refuses with `code`; the real milliseconds that took. */
async function msUntilRefused(verifier: Verifier, token: string, code: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 3000) {
    const outcome = await verifier.verify(token).then(
      () => 'accepted',
      (error: { code?: string }) => error.code,
    );
    if (outcome === code) return performance.now() - started;
    await new Promise((done) => setTimeout(done, 1));
  }
  throw new Error(`not refused with ${code} within 3 s`);
}

describe('@tessera/verifier on the revocation feed as a registered service client', () => {
  let t: TestApp;

  /** A new user accepted by `verifier`, then logged out: how long until the verifier refuses. */
  async function logoutRefusedAfterMs(verifier: Verifier): Promise<number> {
    const user = await signedInUser(t);
    expect((await verifier.verify(user.accessToken)).sid).toBe(user.session.id);
    await t.http
      .post('/auth/logout')
      .set(...bearer(user.accessToken))
      .expect(204);
    return msUntilRefused(verifier, user.accessToken, 'session_revoked');
  }
  let proxy: TcpProxy;
  let base: string;
  let client: ServiceClient;
  const verifiers: Verifier[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      env: { SERVICE_TOKEN_TTL: '1m', REVOCATION_FEED_HEARTBEAT: '200ms' },
    });
    await t.app.listen(0, '127.0.0.1');
    proxy = new TcpProxy('127.0.0.1', (t.app.getHttpServer().address() as AddressInfo).port);
    await proxy.start();
    base = `http://127.0.0.1:${proxy.port}`;
    const admin = await signedInAdmin(t);
    const created = await t.http
      .post('/admin/service-clients')
      .set(...bearer(admin.accessToken))
      .send({ name: 'orders service', scopes: ['revocations:read'] })
      .expect(201);
    client = created.body as ServiceClient;
  }, ADMIN_SETUP_TIMEOUT_MS);

  afterEach(() => {
    for (const verifier of verifiers.splice(0)) verifier.close();
  });

  afterAll(async () => {
    await proxy?.stop();
    await t?.close();
  });

  function make(wire: Wire, options: Partial<VerifierOptions> = {}): Verifier {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: 'tessera-api',
      baseUrl: base, // the metadata's token endpoint (under the issuer) is asked here
      fetch: wire.fetch,
      now: () => t.clock.nowMs(),
      revocations: {
        client,
        onStale: 'fail-closed',
        maxStaleness: 2000,
        reconnect: { minDelayMs: 20, maxDelayMs: 100 },
      },
      ...options,
    });
    verifiers.push(verifier);
    return verifier;
  }

  /** A network blip: every connection through the proxy drops; the verifier reconnects. */
  async function dropConnections(wire: Wire): Promise<void> {
    const feeds = wire.count('GET /oauth/revocations 200');
    await proxy.cut();
    await proxy.restore();
    await until(() => wire.count('GET /oauth/revocations 200') > feeds, 'the feed reconnected');
  }

  async function feedStatusWith(token: string): Promise<number> {
    const abort = new AbortController();
    const res = await fetch(`${base}/oauth/revocations`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    abort.abort();
    return res.status;
  }

  it('reconnects after the token expired with a new one fetched first, and still refuses a logout within 1 s', async () => {
    const wire = new Wire();
    const verifier = make(wire);
    await verifier.ready();
    expect(wire.responses).toEqual([
      'GET /.well-known/oauth-authorization-server 200',
      'POST /oauth/token 200',
      'GET /oauth/revocations 200',
    ]);

    t.clock.advance(PAST_EXPIRY_MS);
    const [firstToken] = wire.feedBearers;
    // Tessera refuses the expired token with a 401, which tells the client to get a new one.
    expect(await feedStatusWith(firstToken)).toBe(401);
    const before = wire.responses.length;
    await dropConnections(wire);
    expect(wire.responses.slice(before)).toEqual([
      'POST /oauth/token 200',
      'GET /oauth/revocations 200',
    ]);
    expect(wire.feedBearers.at(-1)).not.toBe(firstToken);
    await until(() => verifier.feedFresh, 'the feed is fresh again');

    const ms = await logoutRefusedAfterMs(verifier);
    console.log(
      `verifier (service client): logout after a token renewal -> refused in ${ms.toFixed(1)} ms; ` +
        `requests: ${wire.responses.join(', ')}`,
    );
    expect(ms).toBeLessThan(1000);
    expect(wire.responses.filter((r) => !r.endsWith(' 200'))).toEqual([]);
  });

  it('when Tessera refuses a token the verifier still holds good: one refusal, one new token, resumed', async () => {
    // The held token stays good by the verifier's clock, which is stepped back (NTP) by as much
    // as Tessera's moves on: so the verifier reconnects with it, and learns from the refusal.
    let stepMs = 0;
    const wire = new Wire();
    const verifier = make(wire, { now: () => t.clock.nowMs() - stepMs });
    await verifier.ready();
    t.clock.advance(PAST_EXPIRY_MS);
    stepMs = PAST_EXPIRY_MS;
    const before = wire.responses.length;
    await dropConnections(wire);
    expect(wire.responses.slice(before)).toEqual([
      'GET /oauth/revocations 401',
      'POST /oauth/token 200',
      'GET /oauth/revocations 200',
    ]);
    await until(() => verifier.feedFresh, 'the feed is fresh again');

    const ms = await logoutRefusedAfterMs(verifier);
    console.log(
      `verifier (service client, after a refusal): logout -> refused in ${ms.toFixed(1)} ms`,
    );
    expect(ms).toBeLessThan(1000);
  });

  describe('tesseraAuth in a real Express app', () => {
    let server: Server;
    let api: string;
    let wire: Wire;
    let verifier: Verifier;

    beforeAll(async () => {
      wire = new Wire();
      verifier = make(wire);
      verifiers.pop(); // lives for all the tests below, not one: closed in afterAll
      await verifier.ready();
      const app = express();
      app.use('/api', tesseraAuth(verifier));
      app.get('/api/me', (req, res) => {
        const claims = (req as unknown as TesseraRequest).tessera!;
        res.json({ user: claims.sub, session: claims.sid });
      });
      server = app.listen(0, '127.0.0.1');
      await new Promise((done) => server.once('listening', done));
      api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/me`;
    });

    afterAll(async () => {
      verifier?.close();
      await new Promise((done) => server?.close(done));
    });

    const get = (token?: string): Promise<Response> =>
      fetch(api, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('answers 200 with a valid token, with no request to Tessera per call', async () => {
      const user = await signedInUser(t);
      const first = await get(user.accessToken);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ user: user.user.id, session: user.session.id });
      const before = wire.responses.length;
      for (let i = 0; i < 100; i += 1) expect((await get(user.accessToken)).status).toBe(200);
      expect(wire.responses.slice(before)).toEqual([]);
    });

    it('answers 401 problem+json without a token, and with a garbled one', async () => {
      for (const token of [undefined, 'not-a-jwt']) {
        const res = await get(token);
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        const body = (await res.json()) as { status: number; code: string };
        expect(body).toMatchObject({ status: 401, code: expect.any(String) });
      }
    });

    it('refuses the token after its session is logged out, within 1 s', async () => {
      const user = await signedInUser(t);
      expect((await get(user.accessToken)).status).toBe(200);
      await t.http
        .post('/auth/logout')
        .set(...bearer(user.accessToken))
        .expect(204);
      const started = performance.now();
      let res = await get(user.accessToken);
      while (res.status === 200 && performance.now() - started < 3000)
        res = await get(user.accessToken);
      const ms = performance.now() - started;
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'session_revoked' });
      console.log(`express: logout -> 401 session_revoked in ${ms.toFixed(1)} ms`);
      expect(ms).toBeLessThan(1000);
    });
  });
});
