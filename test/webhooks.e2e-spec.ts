import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookWorker } from '../src/alerting/webhook-worker.service';
import { verifyWebhookSignature } from '../src/alerting/webhook-signature';
import {
  bearer,
  login,
  PASSWORD,
  register,
  signedInUser,
  uniqueEmail,
} from './support/auth-client';
import { drainEvents, eventually } from './support/events-helpers';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP receiver: /ok answers 204, /flaky 500 twice then 204, /hang never answers. */
class Receiver {
  readonly received: Received[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private flakyCalls = 0;
  private server!: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/hang') return void this.hanging.add(res);
        if (req.url === '/flaky' && (this.flakyCalls += 1) <= 2)
          return void res.writeHead(500).end();
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('webhooks: signed, retried, never in the way', () => {
  let t: TestApp;
  const receiver = new Receiver();
  let adminToken: string;
  let adminId: string;

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({
      alerting: { webhooks: { timeoutMs: 3000, backoffBaseMs: 1000, perWebhookConcurrency: 4 } },
      // The receiver is http://127.0.0.1: allowed only by these development/test flags.
      env: { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
      logs: [],
    });
    const admin = await signedInAdmin(t);
    adminId = admin.user.id;
    adminToken = admin.accessToken;
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  async function addWebhook(path: string): Promise<{ id: string; secret: string }> {
    const res = await t.http
      .post('/admin/webhooks')
      .set(...bearer(adminToken))
      .send({ url: `${receiver.base}${path}`, description: path })
      .expect(201);
    return res.body;
  }

  async function deliveriesOf(
    webhookId: string,
  ): Promise<{ items: Array<Record<string, unknown>>; nextCursor: string | null }> {
    return (
      await t.http
        .get(`/admin/webhooks/${webhookId}/deliveries`)
        .set(...bearer(adminToken))
        .expect(200)
    ).body;
  }

  /** A user whose second device raises one alert; returns the login's duration in ms. */
  async function newDeviceAlert(): Promise<number> {
    const email = uniqueEmail('hook');
    await register(t, email);
    await login(t, email, { device: { id: 'device-first' } });
    // Measure the login alone, not the background work the previous ones left.
    await drainEvents(t);
    const started = performance.now();
    await t.http
      .post('/auth/login')
      .send({ email, password: PASSWORD, device: { id: 'device-second' } })
      .expect(200);
    return performance.now() - started;
  }

  it('registers, lists (without secrets) and deletes webhooks; admin only', async () => {
    const created = await addWebhook('/unused');
    expect(created.secret).toMatch(/^whsec_[\w-]{40,}$/);
    const list = await t.http
      .get('/admin/webhooks')
      .set(...bearer(adminToken))
      .expect(200);
    expect(list.body.items[0]).toMatchObject({
      id: created.id,
      url: `${receiver.base}/unused`,
      active: true,
    });
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    // At rest the secret is sealed (AES-256-GCM), not the plaintext shown once above.
    const [stored] = await t.dataSource.query(`SELECT secret FROM webhooks WHERE id = $1`, [
      created.id,
    ]);
    expect(stored.secret).not.toContain(created.secret.slice(6));
    expect(stored.secret).toMatch(/^v1\./);
    await t.http
      .delete(`/admin/webhooks/${created.id}`)
      .set(...bearer(adminToken))
      .expect(204);
    // Creation and deletion are audited with the acting administrator; never the secret.
    await drainEvents(t);
    const audited = await t.dataSource.query(
      `SELECT type, actor_id, data FROM audit_records WHERE data->>'webhookId' = $1 ORDER BY seq`,
      [created.id],
    );
    expect(audited.map((r: { type: string }) => r.type)).toEqual([
      'webhook.created',
      'webhook.deleted',
    ]);
    expect(audited.every((r: { actor_id: string }) => r.actor_id === adminId)).toBe(true);
    expect(JSON.stringify(audited)).not.toContain(created.secret);
    await t.http
      .delete(`/admin/webhooks/${created.id}`)
      .set(...bearer(adminToken))
      .expect(404);
    const bad = await t.http
      .post('/admin/webhooks')
      .set(...bearer(adminToken))
      .send({ url: 'ftp://x' })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    const user = await login(t, (await register(t)).email);
    await t.http
      .get('/admin/webhooks')
      .set(...bearer(user.accessToken))
      .expect(403);
  });

  it('delivers a signed alert that the receiver can verify', async () => {
    const hook = await addWebhook('/ok');
    await newDeviceAlert();
    await drainEvents(t);
    const [delivery] = await eventually(
      () => (receiver.on('/ok').length > 0 ? receiver.on('/ok') : undefined),
      5000,
      'delivery',
    );
    const headers = delivery.headers;
    expect(headers['content-type']).toBe('application/json');
    const ok = verifyWebhookSignature(
      hook.secret,
      {
        signature: String(headers['x-tessera-signature']),
        timestamp: String(headers['x-tessera-timestamp']),
      },
      delivery.body,
      Math.floor(t.clock.nowMs() / 1000),
    );
    expect(ok).toBe(true);
    // Any change to the body breaks the signature.
    expect(
      verifyWebhookSignature(
        hook.secret,
        {
          signature: String(headers['x-tessera-signature']),
          timestamp: String(headers['x-tessera-timestamp']),
        },
        delivery.body.replace('medium', 'low'),
        Math.floor(t.clock.nowMs() / 1000),
      ),
    ).toBe(false);
    const payload = JSON.parse(delivery.body);
    expect(payload).toMatchObject({
      type: 'alert.raised',
      alert: { rule: 'device.new_sign_in', severity: 'medium' },
    });
    expect(headers['x-tessera-delivery']).toBe(payload.id);
    await eventually(async () => {
      const [row] = await t.dataSource.query(
        `SELECT status FROM webhook_deliveries WHERE id = $1`,
        [payload.id],
      );
      return row.status === 'delivered' ? true : undefined;
    });
    await t.http
      .delete(`/admin/webhooks/${hook.id}`)
      .set(...bearer(adminToken))
      .expect(204);
  });

  it("shows a webhook's deliveries to admins only; 404 for an unknown webhook", async () => {
    const hook = await addWebhook('/log');
    expect(await deliveriesOf(hook.id)).toEqual({ items: [], nextCursor: null });
    await t.http
      .get('/admin/webhooks/6f1c1b8e-7d2a-4a4e-9a51-0d3c2b1a0f99/deliveries')
      .set(...bearer(adminToken))
      .expect(404);
    const user = await signedInUser(t);
    await t.http
      .get(`/admin/webhooks/${hook.id}/deliveries`)
      .set(...bearer(user.accessToken))
      .expect(403);
    await t.http
      .delete(`/admin/webhooks/${hook.id}`)
      .set(...bearer(adminToken))
      .expect(204);
  });

  it('retries a failing receiver with exponential backoff until it succeeds', async () => {
    const hook = await addWebhook('/flaky');
    const worker = t.app.get(WebhookWorker);
    await newDeviceAlert();
    await drainEvents(t);
    const row = async (): Promise<{
      status: string;
      attempts: number;
      last_status_code: number | null;
      next_attempt_at: Date;
      claimed_until: Date | null;
    }> =>
      (
        await t.dataSource.query(`SELECT * FROM webhook_deliveries WHERE webhook_id = $1`, [
          hook.id,
        ])
      )[0];
    await eventually(async () =>
      (await row())?.attempts === 1 && (await row()).claimed_until === null ? true : undefined,
    );
    const first = await row();
    expect(first.status).toBe('pending');
    expect(new Date(first.next_attempt_at).getTime() - t.clock.nowMs()).toBe(1000);
    // Support sees the same through the admin route: the failed attempt and when it retries.
    expect((await deliveriesOf(hook.id)).items).toEqual([
      expect.objectContaining({
        status: 'pending',
        attempts: 1,
        lastStatusCode: 500,
        nextAttemptAt: new Date(first.next_attempt_at).toISOString(),
        deliveredAt: null,
      }),
    ]);

    t.clock.advance(1000); // due again: second attempt (500), then 2 s of backoff
    worker.kick();
    await eventually(async () =>
      (await row()).attempts === 2 && (await row()).claimed_until === null ? true : undefined,
    );
    expect(new Date((await row()).next_attempt_at).getTime() - t.clock.nowMs()).toBe(2000);
    t.clock.advance(1999);
    worker.kick();
    t.clock.advance(1);
    worker.kick();
    await eventually(async () => ((await row()).status === 'delivered' ? true : undefined));
    expect(await row()).toMatchObject({ attempts: 3, last_status_code: 204 });
    expect(receiver.on('/flaky')).toHaveLength(3);
    const [delivered] = (await deliveriesOf(hook.id)).items;
    expect(delivered).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastStatusCode: 204,
      nextAttemptAt: null,
      deliveredAt: expect.any(String),
    });
    await t.http
      .delete(`/admin/webhooks/${hook.id}`)
      .set(...bearer(adminToken))
      .expect(204);
  });

  it('a hanging receiver slows neither logins nor other webhooks', async () => {
    const rounds = 8;
    const baseline: number[] = [];
    for (let i = 0; i < rounds; i += 1) baseline.push(await newDeviceAlert());
    await drainEvents(t);

    await addWebhook('/hang');
    const ok = await addWebhook('/ok');
    const okBefore = receiver.on('/ok').length;
    const withHanging: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      withHanging.push(await newDeviceAlert());
      await drainEvents(t); // alerts raised and handed to the channels while we keep signing in
    }
    // Deliveries to the healthy receiver all arrive while the hanging ones are still open.
    await eventually(
      () => (receiver.on('/ok').length - okBefore >= rounds ? true : undefined),
      5000,
      'ok deliveries',
    );
    expect(receiver.on('/hang').length).toBeGreaterThanOrEqual(4);
    const pendingHang = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE w.url LIKE '%/hang' AND d.status = 'pending'`,
    );
    expect(pendingHang[0].n).toBe(rounds);

    const before = median(baseline);
    const after = median(withHanging);
    process.stdout.write(
      `login latency (median of ${rounds}): ${before.toFixed(1)} ms without webhooks, ${after.toFixed(1)} ms with a hanging one\n`,
    );
    expect(after).toBeLessThan(before * 2 + 25);
    await t.http
      .delete(`/admin/webhooks/${ok.id}`)
      .set(...bearer(adminToken))
      .expect(204);
  });
});
