/**
 * Forward authentication through the real nginx (OS package) running deploy/nginx-gateway.conf
 * in front of two Tessera processes and a protected application (a tiny echo server).
 *
 * Topology: nginx → { instance A (through a TCP proxy the test can cut), instance B } for
 * /auth/* and the auth_request subrequest; nginx → echo app for everything else. Both instances
 * share one database (the PostgreSQL server when DATABASE_URL is set, otherwise PGlite served
 * over the wire protocol: test/support/shared-pglite.ts) and, when Redis answers, one Redis for the revocation fan-out.
 *
 * The revocation check must show B's view, not A's: A is cut off from nginx (its TCP proxy
 * refuses), so every verdict through nginx comes from B, while the test still revokes on A
 * directly. B's guard reads no database, so only the cluster bus can tell it.
 */
import {
  type EchoedRequest,
  type EchoUpstream,
  ensureNginx,
  type RunningNginx,
  startEchoUpstream,
  startGatewayNginx,
} from './support/nginx-gateway';
import { startSharedPglite } from './support/shared-pglite';
import { spawnInstance, type Instance } from './support/spawn-instance';
import { TcpProxy } from './support/tcp-proxy';
import { createScratchDatabase, type ScratchDatabase, serverUrl } from './support/test-database';
import { redisAnswers } from './support/redis-probe';

const PASSWORD = 'correct horse battery staple';
/** This suite's Redis database number (rate-limit keys); pub/sub channels ignore it. */
const REDIS_URL = 'redis://127.0.0.1:6379/13';
const BOOT_TIMEOUT_MS = 180_000;
const REVOCATION_ROUNDS = 50;

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    // Generous: the first requests of a cold instance on a loaded machine can take seconds.
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  if (text) {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { text };
    }
  }
  return { status: res.status, headers: res.headers, body };
}

function elapsedMs(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The shared database for both instances, and how to remove it afterwards. */
async function sharedDatabase(): Promise<{ url: string; close(): Promise<void> }> {
  const server = serverUrl();
  if (server) {
    const scratch: ScratchDatabase = await createScratchDatabase(server);
    return { url: scratch.url, close: () => scratch.drop() };
  }
  return startSharedPglite();
}

describe('nginx auth_request in front of two Tessera instances (deploy/nginx-gateway.conf)', () => {
  let database: Awaited<ReturnType<typeof sharedDatabase>> | undefined;
  let a: Instance | undefined;
  let b: Instance | undefined;
  let proxyToA: TcpProxy | undefined;
  let app: EchoUpstream | undefined;
  let nginx: RunningNginx | undefined;

  beforeAll(async () => {
    const nginxBinary = ensureNginx();
    database = await sharedDatabase();
    const redis = await redisAnswers();
    const env: Record<string, string> = {
      DATABASE_URL: database.url,
      TRUST_PROXY: '1',
      COOKIE_SECURE: 'false',
      LOG_LEVEL: 'warn',
      // Without Redis and without a PostgreSQL server, the bus is LISTEN/NOTIFY through the
      // PGlite stand-in, which delivers notifications to the sender only: the reconciliation
      // backstop then carries revocations, so make it run often.
      ...(redis ? { REDIS_URL } : serverUrl() ? {} : { REVOCATION_RECONCILE_INTERVAL: '200ms' }),
    };
    // A first, alone, so that it alone runs the migrations.
    a = await spawnInstance({ env, readyTimeoutMs: 120_000 });
    b = await spawnInstance({ env, readyTimeoutMs: 120_000 });
    const aAddress = new URL(a.baseUrl);
    proxyToA = new TcpProxy(aAddress.hostname, Number(aAddress.port));
    await proxyToA.start();
    app = await startEchoUpstream();
    nginx = await startGatewayNginx(
      { tessera: [`127.0.0.1:${proxyToA.port}`, new URL(b.baseUrl).host], app: app.address },
      nginxBinary,
    );
    console.log(
      `gateway: nginx ${nginx.baseUrl}, A ${a.baseUrl} (via ${proxyToA.port}), B ${b.baseUrl}, ` +
        `${serverUrl() ? 'PostgreSQL server' : 'PGlite over the wire'}, bus ${redis ? 'Redis' : 'LISTEN/NOTIFY'}`,
    );
  }, BOOT_TIMEOUT_MS);

  afterAll(async () => {
    await nginx?.stop();
    await app?.close();
    await proxyToA?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    await database?.close();
  }, 60_000);

  function running(): {
    a: Instance;
    b: Instance;
    proxyToA: TcpProxy;
    app: EchoUpstream;
    nginx: RunningNginx;
  } {
    if (!a || !b || !proxyToA || !app || !nginx) throw new Error('the gateway did not start');
    return { a, b, proxyToA, app, nginx };
  }

  async function registerUser(baseUrl: string, label: string): Promise<string> {
    const email = `gw-${label}.${process.pid}.${Date.now()}@example.com`;
    const res = await call(baseUrl, 'POST', '/auth/register', {
      body: { email, password: PASSWORD },
    });
    expect(res.status).toBe(201);
    return email;
  }

  it('signs in through nginx and reaches the application with the verified identity; no token: 401', async () => {
    const { nginx: gateway, app: echo } = running();
    const email = await registerUser(gateway.baseUrl, 'bearer');
    const login = await call(gateway.baseUrl, 'POST', '/auth/login', {
      body: { email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    const session = login.body.session as { id: string };
    const user = login.body.user as { id: string };

    // Several calls, so both instances answer verify subrequests (round robin).
    for (let i = 0; i < 4; i += 1) {
      const res = await call(gateway.baseUrl, 'GET', `/reports?page=${i}`, {
        headers: {
          authorization: `Bearer ${token}`,
          // A client cannot pose as someone else: these are replaced by the verified values.
          'x-auth-user-id': '00000000-0000-4000-8000-000000000000',
          'x-auth-roles': 'admin',
        },
      });
      expect(res.status).toBe(200);
      const echoed = res.body as unknown as EchoedRequest;
      expect(echoed).toEqual({
        method: 'GET',
        url: `/reports?page=${i}`,
        auth: {
          'x-auth-user-id': user.id,
          'x-auth-session-id': session.id,
          'x-auth-roles': 'user',
        },
      });
    }

    // nginx used both instances (A is the one behind the counting proxy).
    expect(running().proxyToA.accepted).toBeGreaterThan(0);

    const hitsBefore = echo.hits;
    const anonymous = await call(gateway.baseUrl, 'GET', '/reports');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(anonymous.body).toMatchObject({ status: 401, code: 'unauthenticated' });
    const forged = await call(gateway.baseUrl, 'GET', '/reports', {
      headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
    });
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('token_invalid');
    expect(echo.hits).toBe(hitsBefore);
  });

  it('cookie mode: an unsafe method needs X-CSRF-Token (refused without, allowed with)', async () => {
    const { nginx: gateway, app: echo } = running();
    const email = await registerUser(gateway.baseUrl, 'cookie');
    const login = await fetch(`${gateway.baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-mode': 'cookie' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const body = (await login.json()) as { csrfToken: string; session: { id: string } };
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookie).toContain('tessera_at=');

    const read = await call(gateway.baseUrl, 'GET', '/documents', { headers: { cookie } });
    expect(read.status).toBe(200);
    expect((read.body as unknown as EchoedRequest).auth['x-auth-session-id']).toBe(body.session.id);

    const hitsBefore = echo.hits;
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const refused = await call(gateway.baseUrl, method, '/documents/1', {
        headers: { cookie },
        body: { title: 'x' },
      });
      expect({ method, status: refused.status, code: refused.body.code }).toEqual({
        method,
        status: 403,
        code: 'csrf_failed',
      });
      const wrong = await call(gateway.baseUrl, method, '/documents/1', {
        headers: { cookie, 'x-csrf-token': 'x'.repeat(body.csrfToken.length) },
        body: { title: 'x' },
      });
      expect({ method, status: wrong.status }).toEqual({ method, status: 403 });
    }
    expect(echo.hits).toBe(hitsBefore);

    const allowed = await call(gateway.baseUrl, 'POST', '/documents', {
      headers: { cookie, 'x-csrf-token': body.csrfToken },
      body: { title: 'x' },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({
      method: 'POST',
      auth: { 'x-auth-session-id': body.session.id },
    });
  });

  it(`refuses through nginx (answered by B) a session revoked on A, each within 1 s (${REVOCATION_ROUNDS} rounds)`, async () => {
    const { a: instanceA, nginx: gateway, proxyToA: cut } = running();
    const email = await registerUser(instanceA.baseUrl, 'revoke');
    // From here on nginx can reach B only: every verdict below is B's.
    await cut.cut();
    try {
      const delays: number[] = [];
      for (let round = 0; round < REVOCATION_ROUNDS; round += 1) {
        const login = await call(instanceA.baseUrl, 'POST', '/auth/login', {
          body: { email, password: PASSWORD },
        });
        expect(login.status).toBe(200);
        const authorization = `Bearer ${login.body.accessToken as string}`;
        // B accepts the token first, so the refusal below is B's view changing.
        const before = await call(gateway.baseUrl, 'GET', '/protected', {
          headers: { authorization },
        });
        expect(before.status).toBe(200);

        const logout = await call(instanceA.baseUrl, 'POST', '/auth/logout', {
          headers: { authorization },
        });
        const revokedAt = process.hrtime.bigint();
        expect(logout.status).toBe(204);
        let last: Reply = before;
        while (elapsedMs(revokedAt) < 3000) {
          last = await call(gateway.baseUrl, 'GET', '/protected', { headers: { authorization } });
          if (last.status !== 200) break;
        }
        expect({ round, status: last.status, code: last.body.code }).toEqual({
          round,
          status: 401,
          code: 'session_revoked',
        });
        delays.push(elapsedMs(revokedAt));
      }
      const sorted = [...delays].sort((x, y) => x - y);
      console.log(
        `revocation on A → refused through nginx by B: ${REVOCATION_ROUNDS} revocations, ` +
          `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
          `max ${sorted[sorted.length - 1].toFixed(1)} ms (from A's 204 to the first 401 through nginx)`,
      );
      for (const delay of delays) expect(delay).toBeLessThan(1000);
    } finally {
      await cut.restore();
    }
  }, 120_000);
});
