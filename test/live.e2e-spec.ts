import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { spawnInstance, type Instance } from './support/spawn-instance';
import { SseClient } from './support/sse-client';
import { createTestApp, type TestApp } from './support/test-app';
import { createScratchDatabase, serverUrl, type ScratchDatabase } from './support/test-database';

async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
}

describe('live sync: GET /sessions/events', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp();
    base = await listen(t);
  });
  afterAll(async () => {
    await t.close();
  });

  it('streams session and device events to every device; a revoked stream gets session.revoked within 1 s and ends', async () => {
    const email = uniqueEmail('live');
    await register(t, email);
    const a = await login(t, email, { device: { id: 'device-aaaa' } });
    const stream = await SseClient.open(`${base}/sessions/events`, {
      Authorization: `Bearer ${a.accessToken}`,
    });

    const b = await login(t, email, { device: { id: 'device-bbbb' } });
    await drainEvents(t);
    await stream.next('device.new', 2000, (e) => e.data.deviceId === b.session.device?.id);
    await stream.next('session.created', 2000, (e) => e.data.sessionId === b.session.id);
    await stream.next('alert.raised');
    expect(stream.events.some((e) => e.type.startsWith('auth.'))).toBe(false);

    const started = performance.now();
    await t.http
      .delete(`/sessions/${a.session.id}`)
      .set(...bearer(b.accessToken))
      .expect(204);
    const revoked = await stream.next('session.revoked', 1000);
    const delay = revoked.receivedAt - started;
    process.stdout.write(
      `SSE session.revoked, same instance: ${delay.toFixed(1)} ms after the DELETE was sent\n`,
    );
    expect(delay).toBeLessThan(1000);
    expect(revoked.data.sessionId).toBe(a.session.id);
    await stream.waitEnded();
    // A revoked session cannot open a new stream.
    const again = await fetch(`${base}/sessions/events`, {
      headers: { Authorization: `Bearer ${a.accessToken}` },
    });
    expect(again.status).toBe(401);
  });

  it('works with cookie authentication (browsers: EventSource sends cookies)', async () => {
    const email = uniqueEmail('livecookie');
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    const jar = (res.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0])
      .join('; ');
    const stream = await SseClient.open(`${base}/sessions/events`, { Cookie: jar });
    const other = await login(t, email, { device: { id: 'device-cccc' } });
    await drainEvents(t);
    await stream.next('session.created', 2000, (e) => e.data.sessionId === other.session.id);
    await t.http
      .post('/auth/logout-all')
      .set(...bearer(other.accessToken))
      .expect(204);
    await stream.next('session.revoked', 1000);
    await stream.waitEnded();
  });

  it('answers 401 without credentials', async () => {
    const res = await fetch(`${base}/sessions/events`);
    expect(res.status).toBe(401);
  });
});

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachableServer(): Promise<string | undefined> {
  const url = serverUrl() ?? DEFAULT_SERVER;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('live sync across instances (PostgreSQL LISTEN/NOTIFY)', () => {
  let server: string | undefined;
  let scratch: ScratchDatabase | undefined;
  let a: TestApp | undefined;
  let b: Instance | undefined;

  beforeAll(async () => {
    server = await reachableServer();
    if (!server) return;
    scratch = await createScratchDatabase(server);
    // Instance A in this process, instance B a separate server process, one database.
    a = await createTestApp({ databaseUrl: scratch.url });
    b = await spawnInstance({ env: { DATABASE_URL: scratch.url, LOG_LEVEL: 'warn' } });
  }, 60_000);
  afterAll(async () => {
    await b?.stop();
    await a?.close();
    await scratch?.drop();
  });

  it('a stream on instance A ends with session.revoked within 1 s when instance B revokes it', async () => {
    if (!server || !a || !b) {
      process.stdout.write('skipped: no PostgreSQL server reachable for two instances\n');
      return;
    }
    const baseA = await listen(a);
    const email = uniqueEmail('cross');
    await register(a, email);
    const onA = await login(a, email, { device: { id: 'device-on-a' } });
    const stream = await SseClient.open(`${baseA}/sessions/events`, {
      Authorization: `Bearer ${onA.accessToken}`,
    });

    const loginB = await fetch(`${b.baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, device: { id: 'device-on-b' } }),
    });
    const onB = (await loginB.json()) as { accessToken: string; session: { id: string } };
    // B's login events reach A's stream through whichever relay publishes them.
    await stream.next('session.created', 3000, (e) => e.data.sessionId === onB.session.id);

    const started = performance.now();
    const revoke = await fetch(`${b.baseUrl}/sessions/${onA.session.id}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${onB.accessToken}` },
    });
    expect(revoke.status).toBe(204);
    const revoked = await stream.next('session.revoked', 1000);
    const delay = revoked.receivedAt - started;
    process.stdout.write(
      `SSE session.revoked across instances: ${delay.toFixed(1)} ms after the DELETE was sent\n`,
    );
    expect(delay).toBeLessThan(1000);
    await stream.waitEnded();
  }, 30_000);
});
