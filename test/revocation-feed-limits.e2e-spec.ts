/**
 * GET /oauth/revocations caps its open streams per service client (the shared secret is one
 * client) and per instance; the excess is refused with 503 problem+json and Retry-After, and a
 * closed stream frees its place. An open stream ends when its service token expires or its client
 * is disabled (checked at each heartbeat, one read per client); the shared secret's stream stays.
 */
import type { AddressInfo } from 'node:net';
import { RevocationFeed } from '../src/auth/oauth/revocation-feed.service';
import { ServiceClientRepository } from '../src/auth/oauth/service-client.repository';
import { bearer } from './support/auth-client';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { eventually } from './support/events-helpers';
import { SseClient } from './support/sse-client';
import { createTestApp, type TestApp } from './support/test-app';

const SECRET = 'feed-secret-'.padEnd(40, 'x');
const SHARED_CLIENT = 'revocation-feed';

/** A service client holding revocations:read, registered by `admin`, and its token. */
async function feedReader(
  t: TestApp,
  admin: { accessToken: string },
  name: string,
): Promise<{ clientId: string; token: string }> {
  const created = await t.http
    .post('/admin/service-clients')
    .set(...bearer(admin.accessToken))
    .send({ name, scopes: ['revocations:read'] })
    .expect(201);
  const { clientId, clientSecret } = created.body as { clientId: string; clientSecret: string };
  const token = await t.http
    .post('/oauth/token')
    .type('form')
    .auth(clientId, clientSecret)
    .send({ grant_type: 'client_credentials' })
    .expect(200);
  return { clientId, token: token.body.access_token as string };
}

describe('revocation feed: connection caps and stream lifetime', () => {
  let t: TestApp;
  let base: string;
  let readerToken: string;
  const open: SseClient[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        REVOCATION_FEED_SECRET: SECRET,
        REVOCATION_FEED_STREAMS_PER_CLIENT: '2',
        REVOCATION_FEED_STREAMS_MAX: '3',
        REVOCATION_FEED_HEARTBEAT: '100ms',
      },
    });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    readerToken = (await feedReader(t, await signedInAdmin(t), 'verifier')).token;
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterEach(async () => {
    for (const client of open.splice(0)) client.close();
    const feed = t.app.get(RevocationFeed);
    await eventually(() => (feed.subscriberCount === 0 ? true : undefined), 5000, 'streams closed');
  });
  afterAll(async () => {
    await t?.close();
  });

  async function subscribe(token: string): Promise<SseClient> {
    const client = await SseClient.open(`${base}/oauth/revocations`, {
      authorization: `Bearer ${token}`,
    });
    open.push(client);
    await client.next('ready');
    return client;
  }

  async function refused(token: string): Promise<{ detail: string }> {
    const res = await fetch(`${base}/oauth/revocations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('service_unavailable');
    return body;
  }

  it('refuses a client past its cap, then the instance past its cap, and frees a closed stream', async () => {
    const feed = t.app.get(RevocationFeed);
    const first = await subscribe(SECRET);
    await subscribe(SECRET);
    expect((await refused(SECRET)).detail).toMatch(/for this client/);
    expect(feed.streamsOf(SHARED_CLIENT)).toBe(2);

    // Another client has its own allowance, up to the instance's.
    await subscribe(readerToken);
    expect(feed.subscriberCount).toBe(3);
    expect((await refused(readerToken)).detail).toMatch(/on this instance/);
    expect(feed.subscriberCount).toBe(3);

    // A closed stream gives its place back.
    first.close();
    await eventually(() => (feed.subscriberCount === 2 ? true : undefined), 5000, 'stream closed');
    expect(feed.streamsOf(SHARED_CLIENT)).toBe(1);
    await subscribe(SECRET);
    expect(feed.streamsOf(SHARED_CLIENT)).toBe(2);
  });

  it('ends the stream of an expired token and of a disabled client, not the shared secret’s', async () => {
    const admin = await signedInAdmin(t);
    const expiring = await feedReader(t, admin, 'expiring');
    const disabled = await feedReader(t, admin, 'disabled');
    const byToken = await subscribe(expiring.token);
    const byDisabled = await subscribe(disabled.token);
    const bySecret = await subscribe(SECRET);

    await t.http
      .delete(`/admin/service-clients/${disabled.clientId}`)
      .set(...bearer(admin.accessToken))
      .expect(204);
    await byDisabled.waitEnded(3000);
    expect(byToken.ended).toBe(false);

    t.clock.advance(t.config.serviceTokenTtlMs + 1000);
    await byToken.waitEnded(3000);
    // Several heartbeats later the shared secret's stream is still open.
    await new Promise((wait) => setTimeout(wait, 300));
    expect(bySecret.ended).toBe(false);
  });

  it('reads a client once per heartbeat, however many streams it holds', async () => {
    const reader = await feedReader(t, await signedInAdmin(t), 'replicas');
    await subscribe(reader.token);
    await subscribe(reader.token);
    const clients = t.app.get(ServiceClientRepository);
    const findActive = jest.spyOn(clients, 'findActive');
    try {
      const started = Date.now();
      await new Promise((wait) => setTimeout(wait, 1000));
      const heartbeats = (Date.now() - started) / 100;
      const reads = findActive.mock.calls.filter(([id]) => id === reader.clientId).length;
      // One stream's timer each would read twice per heartbeat (about 20 here).
      expect(reads).toBeGreaterThanOrEqual(1);
      expect(reads).toBeLessThanOrEqual(Math.ceil(heartbeats) + 1);
    } finally {
      findActive.mockRestore();
    }
  });
});
