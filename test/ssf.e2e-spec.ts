import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { decodeJwt } from 'jose';
import type { AddressInfo } from 'node:net';
import { SsfPushWorker } from '../src/ssf/ssf-push.worker';
import { SsfSetPruner } from '../src/ssf/ssf-set-pruner.service';
import { SsfSignals } from '../src/ssf/ssf-signals';
import { type AdminSession, ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { enrolTotp } from './support/admin-session';
import {
  bearer,
  login,
  PASSWORD,
  register,
  signedInUser,
  uniqueEmail,
} from './support/auth-client';
import { drainEvents, eventually } from './support/events-helpers';
import { SoftAuthenticator } from './support/soft-authenticator';
import { SsfReceiver, verifySet } from './support/ssf-receiver';
import { createTestApp, type TestApp } from './support/test-app';

const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
const PUBLIC_URL = 'https://auth.example.test';

interface Client {
  clientId: string;
  clientSecret: string;
  /** Authorization header value: a client_credentials access token. */
  auth: string;
}

interface StreamConfig {
  stream_id: string;
  iss: string;
  aud: string;
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  delivery: { method: string; endpoint_url: string };
  description?: string;
}

interface SetRow {
  jti: string;
  status: string;
  attempts: number;
  last_error: string | null;
  event_type: string;
}

/**
 * Shared Signals transmitter, in process: metadata, stream management and its isolation
 * between clients, push (RFC 8935) verified against the JWKS like a real receiver, retries and
 * refusals, stream status, verification, and poll (RFC 8936). The crash cases (a SIGKILLed
 * server) are in ssf-crash.e2e-spec.ts.
 */
describe('Shared Signals (SSF 1.0 transmitter, CAEP 1.0 events)', () => {
  let t: TestApp;
  let admin: AdminSession;
  let jwksUrl: string;
  let worker: SsfPushWorker;
  const receiver = new SsfReceiver();
  let alice: Client;
  let bob: Client;

  /** Registers a service client through the admin API and takes a client_credentials token. */
  async function serviceClient(name: string, scopes = ['ssf:stream']): Promise<Client> {
    const created = await t.http
      .post('/admin/service-clients')
      .set(...bearer(admin.accessToken))
      .send({ name, scopes });
    if (created.status !== 201)
      throw new Error(`client creation: ${created.status} ${JSON.stringify(created.body)}`);
    const { clientId, clientSecret } = created.body as { clientId: string; clientSecret: string };
    const token = await t.http
      .post('/oauth/token')
      .auth(clientId, clientSecret)
      .type('form')
      .send({ grant_type: 'client_credentials', scope: scopes.join(' ') });
    if (token.status !== 200)
      throw new Error(`token: ${token.status} ${JSON.stringify(token.body)}`);
    return {
      clientId,
      clientSecret,
      auth: `Bearer ${(token.body as { access_token: string }).access_token}`,
    };
  }

  async function createStream(
    client: Client,
    body: Record<string, unknown>,
  ): Promise<StreamConfig> {
    const res = await t.http.post('/ssf/streams').set('Authorization', client.auth).send(body);
    if (res.status !== 201)
      throw new Error(`stream creation: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as StreamConfig;
  }

  async function setRows(streamId: string): Promise<SetRow[]> {
    return t.dataSource.query<SetRow[]>(
      `SELECT jti, status, attempts, last_error, event_type FROM ssf_sets
        WHERE stream_id = $1 ORDER BY seq`,
      [streamId],
    );
  }

  /** Publishes pending lifecycle events and pushes whatever is due, now. */
  async function deliver(): Promise<void> {
    await drainEvents(t);
    await worker.flush();
  }

  async function verifyFor(client: Client, token: string) {
    return verifySet(token, { jwksUrl, issuer: t.config.jwt.issuer, audience: client.clientId });
  }

  async function logout(accessToken: string): Promise<void> {
    await t.http
      .post('/auth/logout')
      .set(...bearer(accessToken))
      .expect(204);
  }

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        PUBLIC_URL,
        // The receiver listens on plain http on loopback: allowed for tests only.
        WEBHOOK_ALLOW_HTTP: 'true',
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        SSF_RETRY_BASE: '1s',
        SSF_POLL_MAX_WAIT: '20s',
      },
    });
    await t.app.listen(0, '127.0.0.1');
    jwksUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/.well-known/jwks.json`;
    worker = t.app.get(SsfPushWorker);
    await receiver.start();
    admin = await signedInAdmin(t);
    alice = await serviceClient('alice-receiver');
    bob = await serviceClient('bob-receiver');
  }, ADMIN_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await receiver.stop();
    await t?.close();
  });

  beforeEach(() => {
    receiver.pushes.length = 0;
    receiver.answer = () => ({ status: 202 });
  });

  it('publishes transmitter metadata at /.well-known/ssf-configuration (SSF 1.0 §7.1)', async () => {
    const res = await t.http.get('/.well-known/ssf-configuration').expect(200);
    expect(res.body).toEqual({
      spec_version: '1_0',
      issuer: t.config.jwt.issuer,
      jwks_uri: `${PUBLIC_URL}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${PUBLIC_URL}/ssf/streams`,
      status_endpoint: `${PUBLIC_URL}/ssf/streams/status`,
      verification_endpoint: `${PUBLIC_URL}/ssf/streams/verify`,
      add_subject_endpoint: `${PUBLIC_URL}/ssf/subjects/add`,
      remove_subject_endpoint: `${PUBLIC_URL}/ssf/subjects/remove`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6749' }],
      default_subjects: 'ALL',
    });
  });

  it('lets only a service client with the ssf:stream scope manage streams', async () => {
    await t.http.get('/ssf/streams').expect(401);
    // A user's access token is not a service credential, not even an admin's.
    await t.http
      .get('/ssf/streams')
      .set(...bearer(admin.accessToken))
      .expect(401);
    const other = await serviceClient('feed-reader', ['revocations:read']);
    const refused = await t.http.get('/ssf/streams').set('Authorization', other.auth).expect(403);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    // Direct client authentication (HTTP Basic) works as well as the token.
    const basic = `Basic ${Buffer.from(`${alice.clientId}:${alice.clientSecret}`).toString('base64')}`;
    await t.http.get('/ssf/streams').set('Authorization', basic).expect(200);
  });

  it('creates, reads, changes and deletes streams (SSF 1.0 §8.1.1)', async () => {
    const created = await createStream(alice, {
      events_requested: [SESSION_REVOKED, 'urn:example:unknown-event'],
      delivery: { method: PUSH, endpoint_url: receiver.url, authorization_header: 'Bearer r3c' },
      description: 'CRUD',
    });
    expect(created).toEqual({
      stream_id: expect.any(String),
      iss: t.config.jwt.issuer,
      aud: alice.clientId,
      events_supported: [SESSION_REVOKED, CREDENTIAL_CHANGE],
      events_requested: [SESSION_REVOKED, 'urn:example:unknown-event'],
      events_delivered: [SESSION_REVOKED],
      delivery: { method: PUSH, endpoint_url: receiver.url },
      description: 'CRUD',
    });
    const id = created.stream_id;
    const auth = (): [string, string] => ['Authorization', alice.auth];

    const one = await t.http
      .get(`/ssf/streams?stream_id=${id}`)
      .set(...auth())
      .expect(200);
    expect(one.body).toEqual(created);
    const all = await t.http
      .get('/ssf/streams')
      .set(...auth())
      .expect(200);
    expect((all.body as StreamConfig[]).map((s) => s.stream_id)).toContain(id);

    const patched = await t.http
      .patch('/ssf/streams')
      .set(...auth())
      .send({ stream_id: id, events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE] })
      .expect(200);
    expect(patched.body).toMatchObject({
      events_delivered: [SESSION_REVOKED, CREDENTIAL_CHANGE],
      description: 'CRUD',
      delivery: { method: PUSH, endpoint_url: receiver.url },
    });

    // PUT replaces every receiver-supplied member; transmitter-supplied ones sent back are ignored.
    const replaced = await t.http
      .put('/ssf/streams')
      .set(...auth())
      .send({
        ...(patched.body as StreamConfig),
        delivery: { method: POLL },
        description: undefined,
      })
      .expect(200);
    expect(replaced.body).toEqual({
      ...created,
      events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE],
      events_delivered: [SESSION_REVOKED, CREDENTIAL_CHANGE],
      delivery: { method: POLL, endpoint_url: `${PUBLIC_URL}/ssf/poll/${id}` },
      description: undefined,
    });

    await t.http
      .delete(`/ssf/streams?stream_id=${id}`)
      .set(...auth())
      .expect(204);
    await t.http
      .get(`/ssf/streams?stream_id=${id}`)
      .set(...auth())
      .expect(404);
    await t.http
      .delete(`/ssf/streams?stream_id=${id}`)
      .set(...auth())
      .expect(404);

    // Audited, by client, never with the push credential.
    await drainEvents(t);
    const audited = await t.dataSource.query<
      Array<{ type: string; data: Record<string, unknown> }>
    >(`SELECT type, data FROM audit_records WHERE data->>'streamId' = $1 ORDER BY seq`, [id]);
    expect(audited.map((row) => [row.type, row.data.clientId])).toEqual([
      ['ssf.stream_created', alice.clientId],
      ['ssf.stream_updated', alice.clientId],
      ['ssf.stream_updated', alice.clientId],
      ['ssf.stream_deleted', alice.clientId],
    ]);
    expect(audited[0].data).toMatchObject({ deliveryMethod: PUSH, endpointUrl: receiver.url });
    expect(JSON.stringify(audited)).not.toContain('r3c');
  });

  it('validates stream requests strictly (problem+json 400)', async () => {
    const bad = [
      { delivery: { method: PUSH } },
      { delivery: { method: 'urn:example:smoke-signals' } },
      { delivery: { method: POLL, authorization_header: 'Bearer x' } },
      { delivery: { method: POLL, endpoint_url: 'https://elsewhere.example/poll' } },
      { delivery: { method: PUSH, endpoint_url: 'ftp://receiver.example/x' } },
      { events_requested: 'all' },
      { events_requested: [SESSION_REVOKED], roles: ['admin'] },
    ];
    for (const body of bad) {
      const res = await t.http.post('/ssf/streams').set('Authorization', alice.auth).send(body);
      expect([res.status, res.body.code, JSON.stringify(body)]).toEqual([
        400,
        'validation_failed',
        JSON.stringify(body),
      ]);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    await t.http
      .get('/ssf/streams?stream_id=not-a-uuid')
      .set('Authorization', alice.auth)
      .expect(400);
  });

  it("never lets one client read or change another client's stream", async () => {
    const mine = await createStream(alice, {
      events_requested: [SESSION_REVOKED],
      delivery: { method: POLL },
      description: "alice's",
    });
    const id = mine.stream_id;
    const as = (client: Client): [string, string] => ['Authorization', client.auth];
    await t.http
      .get(`/ssf/streams?stream_id=${id}`)
      .set(...as(bob))
      .expect(404);
    const bobs = await t.http
      .get('/ssf/streams')
      .set(...as(bob))
      .expect(200);
    expect((bobs.body as StreamConfig[]).map((s) => s.stream_id)).not.toContain(id);
    await t.http
      .patch('/ssf/streams')
      .set(...as(bob))
      .send({ stream_id: id, description: 'taken over' })
      .expect(404);
    await t.http
      .put('/ssf/streams')
      .set(...as(bob))
      .send({ stream_id: id, delivery: { method: PUSH, endpoint_url: receiver.url } })
      .expect(404);
    await t.http
      .get(`/ssf/streams/status?stream_id=${id}`)
      .set(...as(bob))
      .expect(404);
    await t.http
      .post('/ssf/streams/status')
      .set(...as(bob))
      .send({ stream_id: id, status: 'disabled' })
      .expect(404);
    await t.http
      .post('/ssf/streams/verify')
      .set(...as(bob))
      .send({ stream_id: id })
      .expect(404);
    await t.http
      .post(`/ssf/poll/${id}`)
      .set(...as(bob))
      .send({ returnImmediately: true })
      .expect(404);
    await t.http
      .delete(`/ssf/streams?stream_id=${id}`)
      .set(...as(bob))
      .expect(404);

    // Untouched, as alice sees it.
    const still = await t.http
      .get(`/ssf/streams?stream_id=${id}`)
      .set(...as(alice))
      .expect(200);
    expect(still.body).toEqual(mine);
    const status = await t.http
      .get(`/ssf/streams/status?stream_id=${id}`)
      .set(...as(alice))
      .expect(200);
    expect(status.body).toEqual({ stream_id: id, status: 'enabled' });
    await t.http
      .delete(`/ssf/streams?stream_id=${id}`)
      .set(...as(alice))
      .expect(204);
  });

  describe('push delivery (RFC 8935)', () => {
    let stream: StreamConfig;

    beforeAll(async () => {
      stream = await createStream(alice, {
        events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE],
        delivery: {
          method: PUSH,
          endpoint_url: receiver.url,
          authorization_header: 'Bearer receiver-secret',
        },
      });
    });
    afterAll(async () => {
      await t.http
        .delete(`/ssf/streams?stream_id=${stream.stream_id}`)
        .set('Authorization', alice.auth);
    });

    it('pushes a signed session-revoked SET within 2 s of a logout, exactly once', async () => {
      const user = await signedInUser(t);
      const loggedOutAt = Date.now();
      await logout(user.accessToken);
      const [push] = await receiver.waitForPushes(1, 2_000);
      const latencyMs = push.at - loggedOutAt;
      process.stdout.write(`SSF push latency after logout: ${latencyMs} ms\n`);
      expect(latencyMs).toBeLessThan(2_000);

      expect(push.contentType).toBe('application/secevent+jwt');
      expect(push.authorization).toBe('Bearer receiver-secret');
      const { payload, header } = await verifyFor(alice, push.body);
      expect(header).toMatchObject({ typ: 'secevent+jwt', kid: expect.any(String) });
      expect(payload).toEqual({
        iss: t.config.jwt.issuer,
        aud: alice.clientId,
        iat: expect.any(Number),
        jti: expect.any(String),
        sub_id: {
          format: 'complex',
          user: { format: 'iss_sub', iss: t.config.jwt.issuer, sub: user.user.id },
          session: { format: 'opaque', id: user.session.id },
        },
        events: {
          [SESSION_REVOKED]: {
            event_timestamp: expect.any(Number),
            initiating_entity: 'user',
            reason_admin: { en: 'The user signed out' },
          },
        },
      });
      expect(payload).not.toHaveProperty('sub');

      // Redelivering the lifecycle event (the relay is at-least-once) makes no second SET.
      await t.dataSource.query(
        `UPDATE outbox_events SET published_at = NULL, claimed_until = NULL, claimed_by = NULL
          WHERE type = 'session.revoked' AND payload->>'sessionId' = $1`,
        [user.session.id],
      );
      await deliver();
      expect(receiver.countsByJti()).toEqual({ [String(payload.jti)]: 1 });
      const rows = await setRows(stream.stream_id);
      expect(rows.filter((row) => row.jti === payload.jti)).toEqual([
        expect.objectContaining({ status: 'delivered', attempts: 1 }),
      ]);
    });

    it('pushes credential-change for a password change and for TOTP enrolment and removal', async () => {
      const user = await signedInUser(t);
      await t.http
        .post('/auth/password/change')
        .set(...bearer(user.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })
        .expect(204);
      await deliver();
      const { secret } = await enrolTotp(t, user.accessToken);
      expect(secret).toEqual(expect.any(String));
      await t.http
        .delete('/me/mfa/totp')
        .set(...bearer(user.accessToken))
        .expect(204);
      await deliver();

      const changes: Array<Record<string, unknown>> = [];
      const subjects: unknown[] = [];
      for (const push of receiver.pushes) {
        const { payload } = await verifyFor(alice, push.body);
        const events = payload.events as Record<string, Record<string, unknown>>;
        if (!events[CREDENTIAL_CHANGE]) continue;
        subjects.push(payload.sub_id);
        changes.push(events[CREDENTIAL_CHANGE]);
      }
      expect(subjects).toEqual(
        changes.map(() => ({ format: 'iss_sub', iss: t.config.jwt.issuer, sub: user.user.id })),
      );
      expect(changes).toEqual([
        expect.objectContaining({
          credential_type: 'password',
          change_type: 'update',
          initiating_entity: 'user',
          event_timestamp: expect.any(Number),
        }),
        expect.objectContaining({ credential_type: 'app', change_type: 'create' }),
        expect.objectContaining({ credential_type: 'app', change_type: 'delete' }),
      ]);
    });

    it('pushes credential-change for a passkey added and removed', async () => {
      const user = await signedInUser(t);
      const options = (
        await t.http
          .post('/me/passkeys/options')
          .set(...bearer(user.accessToken))
          .expect(200)
      ).body as PublicKeyCredentialCreationOptionsJSON;
      const authenticator = new SoftAuthenticator(t.config.webauthn.origins[0], { synced: true });
      const added = await t.http
        .post('/me/passkeys')
        .set(...bearer(user.accessToken))
        .send({ response: authenticator.createCredential(options), name: 'Work laptop' })
        .expect(201);
      await t.http
        .delete(`/me/passkeys/${(added.body as { id: string }).id}`)
        .set(...bearer(user.accessToken))
        .expect(204);
      await deliver();
      const events = [];
      for (const push of receiver.pushes) {
        const { payload } = await verifyFor(alice, push.body);
        events.push({ sub_id: payload.sub_id, ...(payload.events as object) });
      }
      const subject = { format: 'iss_sub', iss: t.config.jwt.issuer, sub: user.user.id };
      expect(events).toEqual([
        {
          sub_id: subject,
          [CREDENTIAL_CHANGE]: expect.objectContaining({
            credential_type: 'fido2-platform',
            change_type: 'create',
            friendly_name: 'Work laptop',
            initiating_entity: 'user',
          }),
        },
        {
          sub_id: subject,
          [CREDENTIAL_CHANGE]: expect.objectContaining({
            change_type: 'delete',
            friendly_name: 'Work laptop',
          }),
        },
      ]);
    });

    it('sends a verification SET with the state on request (SSF 1.0 §8.1.4)', async () => {
      await t.http
        .post('/ssf/streams/verify')
        .set('Authorization', alice.auth)
        .send({ stream_id: stream.stream_id, state: 'opaque-state-42' })
        .expect(204);
      const [push] = await receiver.waitForPushes(1);
      const { payload } = await verifyFor(alice, push.body);
      expect(payload.sub_id).toEqual({ format: 'opaque', id: stream.stream_id });
      expect(payload.events).toEqual({ [VERIFICATION]: { state: 'opaque-state-42' } });
    });

    it('leaves out a subject the receiver removed, until it is added back (SSF 1.0 §8.1.3)', async () => {
      const email = uniqueEmail();
      const { id: userId } = await register(t, email);
      const subject = { format: 'iss_sub', iss: t.config.jwt.issuer, sub: userId };
      const change = (path: string, body: Record<string, unknown>) =>
        t.http.post(`/ssf/subjects/${path}`).set('Authorization', alice.auth).send(body);
      for (const bad of [
        { format: 'email', email },
        { format: 'iss_sub', iss: 'https://someone-else.example', sub: userId },
        { format: 'iss_sub', iss: t.config.jwt.issuer },
      ]) {
        const res = await change('remove', { stream_id: stream.stream_id, subject: bad });
        expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
      }
      await change('remove', { stream_id: stream.stream_id, subject }).expect(204);

      const hidden = await login(t, email);
      await logout(hidden.accessToken);
      await deliver();
      expect(receiver.pushes).toHaveLength(0);

      const added = await change('add', { stream_id: stream.stream_id, subject, verified: true });
      expect([added.status, added.text]).toEqual([200, '']);
      const shown = await login(t, email);
      await logout(shown.accessToken);
      await deliver();
      expect(receiver.pushes).toHaveLength(1);
      const { payload } = await verifyFor(alice, receiver.pushes[0].body);
      expect(payload.sub_id).toMatchObject({ session: { id: shown.session.id } });
    });

    it('retries a failed push with backoff, re-sending the identical SET', async () => {
      let answers = 0;
      receiver.answer = () => (answers++ === 0 ? { status: 503 } : { status: 202 });
      const user = await signedInUser(t);
      await logout(user.accessToken);
      await deliver();
      expect(receiver.pushes).toHaveLength(1);
      const [failed] = (await setRows(stream.stream_id)).filter((row) => row.status === 'pending');
      expect(failed).toMatchObject({ attempts: 1, last_error: 'HTTP 503' });

      await worker.flush(); // not due yet: SSF_RETRY_BASE 1s of the injected clock
      expect(receiver.pushes).toHaveLength(1);
      t.clock.advance(1_000);
      await worker.flush();
      expect(receiver.pushes).toHaveLength(2);
      expect(receiver.pushes[1].body).toBe(receiver.pushes[0].body);
      const rows = await setRows(stream.stream_id);
      expect(rows.find((row) => row.jti === failed.jti)).toMatchObject({
        status: 'delivered',
        attempts: 2,
      });
    });

    it("records a receiver's 400 {err, description} and does not retry that SET", async () => {
      receiver.answer = () => ({
        status: 400,
        body: JSON.stringify({ err: 'invalid_audience', description: 'not for us' }),
      });
      const user = await signedInUser(t);
      await logout(user.accessToken);
      await deliver();
      const jti = receiver.pushes[0].jti;
      t.clock.advance(10_000); // past any retry delay (SSF_RETRY_BASE 1s)
      await worker.flush();
      expect(receiver.pushes).toHaveLength(1);
      const row = (await setRows(stream.stream_id)).find((r) => r.jti === jti);
      expect(row).toMatchObject({
        status: 'failed',
        attempts: 1,
        last_error: 'invalid_audience: not for us',
      });
    });

    it('holds SETs while paused, delivers them when enabled, drops them when disabled', async () => {
      const auth: [string, string] = ['Authorization', alice.auth];
      const pause = await t.http
        .post('/ssf/streams/status')
        .set(...auth)
        .send({ stream_id: stream.stream_id, status: 'paused', reason: 'maintenance' })
        .expect(200);
      expect(pause.body).toEqual({
        stream_id: stream.stream_id,
        status: 'paused',
        reason: 'maintenance',
      });
      const first = await signedInUser(t);
      await logout(first.accessToken);
      await deliver();
      expect(receiver.pushes).toHaveLength(0);

      await t.http
        .post('/ssf/streams/status')
        .set(...auth)
        .send({ stream_id: stream.stream_id, status: 'enabled' })
        .expect(200);
      await deliver();
      expect(receiver.pushes).toHaveLength(1);
      const { payload } = await verifyFor(alice, receiver.pushes[0].body);
      expect((payload.sub_id as { session: { id: string } }).session.id).toBe(first.session.id);

      await t.http
        .post('/ssf/streams/status')
        .set(...auth)
        .send({ stream_id: stream.stream_id, status: 'disabled' })
        .expect(200);
      const second = await signedInUser(t);
      await logout(second.accessToken);
      await deliver();
      await t.http
        .post('/ssf/streams/status')
        .set(...auth)
        .send({ stream_id: stream.stream_id, status: 'enabled' })
        .expect(200);
      await deliver();
      expect(receiver.pushes).toHaveLength(1);
      const status = await t.http
        .get(`/ssf/streams/status?stream_id=${stream.stream_id}`)
        .set(...auth)
        .expect(200);
      expect(status.body).toEqual({ stream_id: stream.stream_id, status: 'enabled' });
    });
  });

  it("stops pushing to a disabled service client's streams", async () => {
    const carol = await serviceClient('carol-receiver');
    const stream = await createStream(carol, {
      events_requested: [SESSION_REVOKED],
      delivery: { method: PUSH, endpoint_url: receiver.url },
    });
    await t.http
      .delete(`/admin/service-clients/${carol.clientId}`)
      .set(...bearer(admin.accessToken))
      .expect(204);
    const user = await signedInUser(t);
    await logout(user.accessToken);
    await deliver();
    expect(receiver.pushes).toHaveLength(0);
    expect(await setRows(stream.stream_id)).toEqual([
      expect.objectContaining({ status: 'failed', last_error: 'the service client is disabled' }),
    ]);
    await t.http.get('/ssf/streams').set('Authorization', carol.auth).expect(401);
  });

  describe('poll delivery (RFC 8936)', () => {
    let stream: StreamConfig;
    const poll = (body: Record<string, unknown>, client: Client = bob) =>
      t.http.post(`/ssf/poll/${stream.stream_id}`).set('Authorization', client.auth).send(body);

    beforeAll(async () => {
      stream = await createStream(bob, {
        events_requested: [SESSION_REVOKED, CREDENTIAL_CHANGE],
        delivery: { method: POLL },
      });
    });

    it('answers the oldest SETs up to maxEvents, again until acknowledged, then the rest', async () => {
      expect(stream.delivery).toEqual({
        method: POLL,
        endpoint_url: `${PUBLIC_URL}/ssf/poll/${stream.stream_id}`,
      });
      const email = uniqueEmail();
      await register(t, email);
      const sessions = [];
      for (let i = 0; i < 3; i += 1) sessions.push(await login(t, email));
      for (const session of sessions) await logout(session.accessToken);
      await drainEvents(t);

      const first = await poll({ maxEvents: 2, returnImmediately: true }).expect(200);
      expect(first.body.moreAvailable).toBe(true);
      const firstJtis = Object.keys(first.body.sets as Record<string, string>);
      expect(firstJtis).toHaveLength(2);
      const sids: string[] = [];
      for (const [jti, token] of Object.entries(first.body.sets as Record<string, string>)) {
        const { payload } = await verifyFor(bob, token);
        expect(payload.jti).toBe(jti);
        sids.push((payload.sub_id as { session: { id: string } }).session.id);
      }
      expect(sids).toEqual([sessions[0].session.id, sessions[1].session.id]);

      // Not acknowledged: handed out again.
      const again = await poll({ maxEvents: 2, returnImmediately: true }).expect(200);
      expect(Object.keys(again.body.sets as object)).toEqual(firstJtis);

      const rest = await poll({ ack: firstJtis, maxEvents: 10, returnImmediately: true }).expect(
        200,
      );
      expect(rest.body.moreAvailable).toBe(false);
      const restJtis = Object.keys(rest.body.sets as object);
      expect(restJtis).toHaveLength(1);
      expect(restJtis).not.toContain(firstJtis[0]);

      // setErrs refuses a SET for good; maxEvents 0 only acknowledges.
      const refused = await poll({
        setErrs: { [restJtis[0]]: { err: 'invalid_key', description: 'unknown kid' } },
        maxEvents: 0,
      }).expect(200);
      expect(refused.body).toEqual({ sets: {}, moreAvailable: false });
      const empty = await poll({ returnImmediately: true }).expect(200);
      expect(empty.body).toEqual({ sets: {}, moreAvailable: false });

      const rows = await setRows(stream.stream_id);
      expect(rows.filter((row) => firstJtis.includes(row.jti)).map((row) => row.status)).toEqual([
        'acked',
        'acked',
      ]);
      expect(rows.find((row) => row.jti === restJtis[0])).toMatchObject({
        status: 'failed',
        last_error: 'invalid_key: unknown kid',
      });
    });

    it('holds a long poll open until a SET arrives (returnImmediately false)', async () => {
      const user = await signedInUser(t);
      const started = Date.now();
      const waiting = poll({ maxEvents: 5 });
      const answer = waiting.then((res) => res);
      // The poll is waiting now (nothing queued); a logout ends the wait.
      await new Promise((resolve) => setImmediate(resolve));
      await logout(user.accessToken);
      const res = await answer;
      expect(res.status).toBe(200);
      const waitedMs = Date.now() - started;
      expect(waitedMs).toBeLessThan(10_000);
      const tokens = Object.values(res.body.sets as Record<string, string>);
      expect(tokens).toHaveLength(1);
      const claims = decodeJwt(tokens[0]);
      expect((claims.sub_id as { session: { id: string } }).session.id).toBe(user.session.id);
      await poll({ ack: [String(claims.jti)], maxEvents: 0 }).expect(200);
    });

    it('answers a long poll with nothing after SSF_POLL_MAX_WAIT (injected clock)', async () => {
      const answer = poll({ maxEvents: 5 }).then((res) => res);
      const signals = t.app.get(SsfSignals);
      await eventually(() => (signals.waiting(stream.stream_id) > 0 ? true : undefined));
      // SSF_POLL_MAX_WAIT is 20 s of the injected clock; no test waits that long in real time.
      t.clock.advance(20_000);
      const res = await answer;
      expect([res.status, res.body]).toEqual([200, { sets: {}, moreAvailable: false }]);
    });

    it('refuses malformed polls and polls of push streams', async () => {
      for (const body of [
        { maxEvents: -1 },
        { returnImmediately: 'yes' },
        { ack: 'jti' },
        { setErrs: { j1: 'bad' } },
        { setErrs: { j1: { err: 'x' } }, ack: ['j1'] },
        { since: 'yesterday' },
      ]) {
        const res = await poll(body);
        expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
      }
      const pushed = await createStream(bob, {
        events_requested: [SESSION_REVOKED],
        delivery: { method: PUSH, endpoint_url: receiver.url },
      });
      await t.http
        .post(`/ssf/poll/${pushed.stream_id}`)
        .set('Authorization', bob.auth)
        .send({ returnImmediately: true })
        .expect(400);
      await t.http
        .delete(`/ssf/streams?stream_id=${pushed.stream_id}`)
        .set('Authorization', bob.auth)
        .expect(204);
    });
  });
  // Last: it moves the clock a week on, past every token's lifetime.
  it('prunes finished SETs past SSF_SET_RETENTION and keeps undelivered ones', async () => {
    await createStream(bob, {
      events_requested: [SESSION_REVOKED],
      delivery: { method: PUSH, endpoint_url: receiver.url },
    });
    const user = await signedInUser(t);
    await logout(user.accessToken);
    await deliver();
    const byStatus = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        (
          await t.dataSource.query<Array<{ status: string; n: number }>>(
            `SELECT status, count(*)::int AS n FROM ssf_sets GROUP BY status`,
          )
        ).map((row) => [row.status, row.n]),
      );
    const before = await byStatus();
    // Delivered to bob's push stream, undelivered on his poll stream, and the rest of the file
    // left acknowledged and failed ones.
    expect(Object.keys(before).sort()).toEqual(['acked', 'delivered', 'failed', 'pending']);

    t.clock.advance(6 * 86_400_000);
    expect(await t.app.get(SsfSetPruner).prune()).toBe(0);
    t.clock.advance(86_400_000 + 60_000);
    const pruned = await t.app.get(SsfSetPruner).prune();
    expect(pruned).toBe(before.acked + before.delivered + before.failed);
    expect(await byStatus()).toEqual({ pending: before.pending });
  });
  // Last of all: it closes the listener.
  it('answers a waiting long poll at once when a graceful stop closes the listener', async () => {
    const basic = `Basic ${Buffer.from(`${bob.clientId}:${bob.clientSecret}`).toString('base64')}`;
    const stream = (
      await t.http
        .post('/ssf/streams')
        .set('Authorization', basic)
        .send({ events_requested: [SESSION_REVOKED], delivery: { method: POLL } })
        .expect(201)
    ).body as StreamConfig;
    const base = jwksUrl.replace('/.well-known/jwks.json', '');
    const started = Date.now();
    const answer = fetch(`${base}/ssf/poll/${stream.stream_id}`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/json' },
      body: JSON.stringify({ maxEvents: 5 }),
    });
    const signals = t.app.get(SsfSignals);
    await eventually(() => (signals.waiting(stream.stream_id) > 0 ? true : undefined));
    t.app.getHttpServer().close();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sets: {}, moreAvailable: false });
    // SSF_POLL_MAX_WAIT is 20 s here: the poll ended because of the stop.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
