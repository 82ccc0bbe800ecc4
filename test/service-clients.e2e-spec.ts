import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { SecurityDenialsFlusher } from '../src/audit/security-denials-flusher';
import { bearer, signedInUser } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { ADMIN_SETUP_TIMEOUT_MS, type AdminSession, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

const PUBLIC_URL = 'https://auth.example.test';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Created {
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  tokenEndpointAuthMethod: string;
}

const basic = (id: string, secret: string): [string, string] => [
  'Authorization',
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
];

describe('service clients (issue 14)', () => {
  let t: TestApp;
  let admin: AdminSession;

  beforeAll(async () => {
    t = await createTestApp({ env: { PUBLIC_URL, REFRESH_REUSE_GRACE: '0s' } });
    admin = await signedInAdmin(t);
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  async function create(body: Record<string, unknown>): Promise<Created> {
    const res = await t.http
      .post('/admin/service-clients')
      .set(...bearer(admin.accessToken))
      .send(body)
      .expect(201);
    return res.body as Created;
  }

  async function serviceToken(client: Created, scope?: string): Promise<string> {
    const res = await t.http
      .post('/oauth/token')
      .type('form')
      .set(...basic(client.clientId, client.clientSecret ?? ''))
      .send({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) })
      .expect(200);
    return res.body.access_token as string;
  }

  async function keyClient(
    scopes: string[],
  ): Promise<{ client: Created; privateKey: CryptoKey; kid: string }> {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const client = await create({
      name: 'key client',
      scopes,
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    return { client, privateKey, kid: 'k1' };
  }

  function assertion(
    clientId: string,
    privateKey: CryptoKey,
    claims: { aud?: string; jti?: string; lifetimeSeconds?: number } = {},
  ): Promise<string> {
    const now = Math.floor(t.clock.nowMs() / 1000);
    return new SignJWT({ jti: claims.jti ?? randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(claims.aud ?? PUBLIC_URL)
      .setIssuedAt(now)
      .setExpirationTime(now + (claims.lifetimeSeconds ?? 60))
      .sign(privateKey);
  }

  it('registers a secret client: the secret shown once, listed without it, stored hashed', async () => {
    const created = await create({ name: 'gateway', scopes: ['tokens:introspect'] });
    expect(created).toMatchObject({
      clientId: expect.stringMatching(/^svc_[\w-]{22}$/),
      clientSecret: expect.stringMatching(/^[\w-]{43}$/),
      name: 'gateway',
      scopes: ['tokens:introspect'],
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    const list = await t.http
      .get('/admin/service-clients')
      .set(...bearer(admin.accessToken))
      .expect(200);
    const listed = (list.body.items as Array<Record<string, unknown>>).find(
      (item) => item.clientId === created.clientId,
    );
    expect(listed).toMatchObject({ name: 'gateway', lastUsedAt: null });
    expect(listed).not.toHaveProperty('clientSecret');
    expect(JSON.stringify(list.body)).not.toContain(created.clientSecret);
    const [row] = await t.dataSource.query<Array<{ secret_hash: string }>>(
      'SELECT secret_hash FROM service_clients WHERE id = $1',
      [created.clientId],
    );
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.secret_hash).not.toContain(created.clientSecret);
  });

  it('refuses bad registrations and non-admins', async () => {
    const user = await signedInUser(t);
    await t.http
      .post('/admin/service-clients')
      .set(...bearer(user.accessToken))
      .send({ name: 'x', scopes: ['tokens:introspect'] })
      .expect(403);
    for (const body of [
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['admin'] },
      { name: 'x', scopes: ['tokens:introspect'], tokenEndpointAuthMethod: 'private_key_jwt' },
      { name: 'x', scopes: ['tokens:introspect'], jwks: { keys: [] } },
      {
        name: 'x',
        scopes: ['tokens:introspect'],
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
      },
    ]) {
      const res = await t.http
        .post('/admin/service-clients')
        .set(...bearer(admin.accessToken))
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  it('issues client_credentials tokens (Basic and post), narrowed by scope, no refresh token', async () => {
    const client = await create({ name: 'both', scopes: ['tokens:introspect', 'tokens:revoke'] });
    const res = await t.http
      .post('/oauth/token')
      .type('form')
      .set(...basic(client.clientId, client.clientSecret ?? ''))
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'tokens:introspect tokens:revoke',
    });
    expect(res.body).not.toHaveProperty('refresh_token');
    const claims = decodeJwt(res.body.access_token as string);
    expect(claims).toMatchObject({
      iss: PUBLIC_URL,
      aud: PUBLIC_URL,
      sub: client.clientId,
      client_id: client.clientId,
      scope: 'tokens:introspect tokens:revoke',
    });
    expect(claims.sid).toBeUndefined();
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300);

    const post = await t.http
      .post('/oauth/token')
      .type('form')
      .send({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        scope: 'tokens:revoke',
      })
      .expect(200);
    expect(post.body.scope).toBe('tokens:revoke');

    const unheld = await t.http
      .post('/oauth/token')
      .type('form')
      .set(...basic(client.clientId, client.clientSecret ?? ''))
      .send({ grant_type: 'client_credentials', scope: 'ssf:stream' })
      .expect(400);
    expect(unheld.body.error).toBe('invalid_scope');
  });

  it('answers wrong client credentials with 401 invalid_client and a Basic challenge', async () => {
    const client = await create({ name: 'wrong', scopes: ['tokens:introspect'] });
    const attempts = [
      { headers: basic(client.clientId, 'not-the-secret'), body: {} },
      { headers: basic('svc_unknown', client.clientSecret ?? ''), body: {} },
      // Not a client id at all (a NUL byte would be a database error if it got that far).
      { headers: basic('svc_\u0000', client.clientSecret ?? ''), body: {} },
      { headers: undefined, body: { client_id: client.clientId, client_secret: 'nope' } },
      { headers: undefined, body: {} },
      // Two methods at once (RFC 6749 §2.3).
      {
        headers: basic(client.clientId, client.clientSecret ?? ''),
        body: { client_id: client.clientId, client_secret: client.clientSecret },
      },
    ];
    for (const attempt of attempts) {
      const req = t.http.post('/oauth/token').type('form');
      if (attempt.headers) req.set(...attempt.headers);
      const res = await req.send({ grant_type: 'client_credentials', ...attempt.body }).expect(401);
      expect(res.body).toMatchObject({ code: 'invalid_client', error: 'invalid_client' });
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    // A refresh is a public client's, but credentials sent along are checked all the same.
    const user = await signedInUser(t);
    const refresh = await t.http
      .post('/oauth/token')
      .type('form')
      .set(...basic(client.clientId, 'not-the-secret'))
      .send({ grant_type: 'refresh_token', refresh_token: user.refreshToken })
      .expect(401);
    expect(refresh.body.error).toBe('invalid_client');
    // Audited in aggregate, like other refusals: one security.denied per network per minute.
    t.clock.advance(60_000);
    await t.app.get(SecurityDenialsFlusher).flush();
    await drainEvents(t);
    const [denied] = await t.dataSource.query<Array<{ count: number }>>(
      `SELECT sum((data->>'count')::int)::int AS count FROM audit_records
        WHERE type = 'security.denied' AND data->>'kind' = 'invalid_client'`,
    );
    expect(denied.count).toBeGreaterThanOrEqual(attempts.length);
  });

  it('introspects for a service client by client auth or its bearer token; scope enforced', async () => {
    const user = await signedInUser(t);
    const introspector = await create({ name: 'rs', scopes: ['tokens:introspect'] });
    const byBasic = await t.http
      .post('/oauth/introspect')
      .type('form')
      .set(...basic(introspector.clientId, introspector.clientSecret ?? ''))
      .send({ token: user.accessToken })
      .expect(200);
    expect(byBasic.body).toMatchObject({ active: true, sub: user.user.id, iss: PUBLIC_URL });

    const token = await serviceToken(introspector);
    const byBearer = await t.http
      .post('/oauth/introspect')
      .set(...bearer(token))
      .send({ token: user.refreshToken })
      .expect(200);
    expect(byBearer.body).toMatchObject({ active: true, token_type: 'refresh_token' });

    // A service token introspects as the client's, with its scope.
    const self = await t.http
      .post('/oauth/introspect')
      .set(...bearer(token))
      .send({ token })
      .expect(200);
    expect(self.body).toMatchObject({
      active: true,
      client_id: introspector.clientId,
      scope: 'tokens:introspect',
    });

    const revoker = await create({ name: 'revoker', scopes: ['tokens:revoke'] });
    const denied = await t.http
      .post('/oauth/introspect')
      .set(...bearer(await serviceToken(revoker)))
      .send({ token: user.accessToken })
      .expect(403);
    expect(denied.body).toMatchObject({ code: 'insufficient_scope', error: 'insufficient_scope' });
    expect(denied.headers['www-authenticate']).toContain('error="insufficient_scope"');

    const wrong = await t.http
      .post('/oauth/introspect')
      .set(...basic(introspector.clientId, 'wrong'))
      .send({ token: user.accessToken })
      .expect(401);
    expect(wrong.body.error).toBe('invalid_client');

    // Deprecated, still accepted: an admin user's access token.
    await t.http
      .post('/oauth/introspect')
      .set(...bearer(admin.accessToken))
      .send({ token: user.accessToken })
      .expect(200);
  });

  it('refuses a disabled client at once: its credentials and its live tokens', async () => {
    const client = await create({ name: 'short-lived', scopes: ['tokens:introspect'] });
    const token = await serviceToken(client);
    const user = await signedInUser(t);
    await t.http
      .post('/oauth/introspect')
      .set(...bearer(token))
      .send({ token: user.accessToken })
      .expect(200);

    await t.http
      .delete(`/admin/service-clients/${client.clientId}`)
      .set(...bearer(admin.accessToken))
      .expect(204);
    await t.http
      .delete(`/admin/service-clients/${client.clientId}`)
      .set(...bearer(admin.accessToken))
      .expect(404);
    await t.http
      .delete('/admin/service-clients/%00')
      .set(...bearer(admin.accessToken))
      .expect(404);

    const byToken = await t.http
      .post('/oauth/introspect')
      .set(...bearer(token))
      .send({ token: user.accessToken })
      .expect(401);
    expect(byToken.headers['www-authenticate']).toContain('error="invalid_token"');
    const byBasic = await t.http
      .post('/oauth/introspect')
      .set(...basic(client.clientId, client.clientSecret ?? ''))
      .send({ token: user.accessToken })
      .expect(401);
    expect(byBasic.body.error).toBe('invalid_client');
    await t.http
      .post('/oauth/token')
      .type('form')
      .set(...basic(client.clientId, client.clientSecret ?? ''))
      .send({ grant_type: 'client_credentials' })
      .expect(401);
    const list = await t.http
      .get('/admin/service-clients')
      .set(...bearer(admin.accessToken))
      .expect(200);
    expect(JSON.stringify(list.body)).not.toContain(client.clientId);

    // Both audited, with the admin as actor and never the secret.
    await t.flushEvents();
    const audit = await t.http
      .get('/admin/audit')
      .query({ limit: 200 })
      .set(...bearer(admin.accessToken))
      .expect(200);
    const mine = (audit.body.items as Array<{ type: string; data: Record<string, unknown> }>)
      .filter((item) => item.data.clientId === client.clientId)
      .map((item) => item.type)
      .sort();
    expect(mine).toEqual(['service_client.created', 'service_client.deleted']);
    expect(JSON.stringify(audit.body)).not.toContain(client.clientSecret);
  });

  it('keeps user and service tokens apart: neither passes the other guard', async () => {
    const user = await signedInUser(t);
    // A user token (not an admin's) on a service route.
    const refused = await t.http
      .post('/oauth/introspect')
      .set(...bearer(user.accessToken))
      .send({ token: user.accessToken })
      .expect(403);
    expect(refused.body.code).toBe('forbidden');

    const client = await create({ name: 'svc', scopes: ['tokens:introspect'] });
    const token = await serviceToken(client);
    for (const path of ['/auth/me', '/sessions']) {
      const res = await t.http
        .get(path)
        .set(...bearer(token))
        .expect(401);
      expect(res.body.code).toBe('token_invalid');
    }
    await t.http
      .get('/admin/service-clients')
      .set(...bearer(token))
      .expect(401);
  });

  it('authenticates private_key_jwt clients and refuses a replayed or long-lived assertion', async () => {
    const { client, privateKey } = await keyClient(['tokens:introspect']);
    expect(client.clientSecret).toBeUndefined();
    const user = await signedInUser(t);
    const signed = await assertion(client.clientId, privateKey);
    const form = {
      token: user.accessToken,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: signed,
    };
    const ok = await t.http.post('/oauth/introspect').type('form').send(form).expect(200);
    expect(ok.body.active).toBe(true);

    const replay = await t.http.post('/oauth/introspect').type('form').send(form).expect(401);
    expect(replay.body).toMatchObject({ error: 'invalid_client' });
    expect(replay.body.detail).toContain('already used');

    for (const bad of [
      await assertion(client.clientId, privateKey, { aud: 'https://elsewhere.example' }),
      await assertion(client.clientId, privateKey, { lifetimeSeconds: 3600 }),
    ]) {
      await t.http
        .post('/oauth/introspect')
        .type('form')
        .send({ ...form, client_assertion: bad })
        .expect(401);
    }
    // Expired: the injectable clock moves past exp.
    const stale = await assertion(client.clientId, privateKey);
    t.clock.advance(120_000);
    await t.http
      .post('/oauth/introspect')
      .type('form')
      .send({ ...form, client_assertion: stale })
      .expect(401);

    // The token endpoint URL is an accepted audience too; the token is the client's.
    const granted = await t.http
      .post('/oauth/token')
      .type('form')
      .send({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(client.clientId, privateKey, {
          aud: `${PUBLIC_URL}/oauth/token`,
        }),
      })
      .expect(200);
    expect(decodeJwt(granted.body.access_token as string).client_id).toBe(client.clientId);
  });

  it('lets a service client with tokens:revoke revoke any token; others get 403 or 401', async () => {
    const revoker = await create({ name: 'revoker', scopes: ['tokens:revoke'] });
    const introspector = await create({ name: 'no-revoke', scopes: ['tokens:introspect'] });
    const user = await signedInUser(t);

    const denied = await t.http
      .post('/oauth/revoke')
      .type('form')
      .set(...basic(introspector.clientId, introspector.clientSecret ?? ''))
      .send({ token: user.refreshToken })
      .expect(403);
    expect(denied.body.code).toBe('insufficient_scope');
    const wrong = await t.http
      .post('/oauth/revoke')
      .type('form')
      .set(...basic(revoker.clientId, 'wrong'))
      .send({ token: user.refreshToken })
      .expect(401);
    expect(wrong.body.error).toBe('invalid_client');
    await t.http
      .get('/auth/me')
      .set(...bearer(user.accessToken))
      .expect(200);

    await t.http
      .post('/oauth/revoke')
      .type('form')
      .set(...basic(revoker.clientId, revoker.clientSecret ?? ''))
      .send({ token: user.refreshToken })
      .expect(200);
    const after = await t.http
      .get('/auth/me')
      .set(...bearer(user.accessToken))
      .expect(401);
    expect(after.body.code).toBe('session_revoked');
  });

  it('opens the revocation feed for a client holding revocations:read, without the shared secret', async () => {
    await t.app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    const reader = await create({ name: 'verifier', scopes: ['revocations:read'] });
    const abort = new AbortController();
    try {
      const res = await fetch(`${base}/oauth/revocations`, {
        headers: { authorization: `Bearer ${await serviceToken(reader)}` },
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const stream = res.body!.getReader();
      let text = '';
      while (!text.includes('event: ready')) {
        const { value, done } = await stream.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      expect(text).toContain('event: ready');
    } finally {
      abort.abort();
    }
    // Without REVOCATION_FEED_SECRET the route does not exist for anyone else...
    const other = await create({ name: 'no-feed', scopes: ['tokens:introspect'] });
    await t.http
      .get('/oauth/revocations')
      .set(...bearer(await serviceToken(other)))
      .expect(404);
    await t.http.get('/oauth/revocations').expect(404);
    // ...but a token that is refused (expired, or not one of ours) is 401, so a client renews it.
    const [header, payload] = (await serviceToken(reader)).split('.');
    const refused = await t.http
      .get('/oauth/revocations')
      .set(...bearer(`${header}.${payload}.${'A'.repeat(512)}`))
      .expect(401);
    expect(refused.body.code).toBe('token_invalid');
    expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });
});
