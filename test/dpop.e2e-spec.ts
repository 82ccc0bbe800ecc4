import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  type CryptoKey,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  SignJWT,
} from 'jose';
import { accessTokenHash } from '../src/auth/dpop/dpop-proof.verifier';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';
import { serverUrl } from './support/test-database';
import * as oauth from 'oauth4webapi';
import { createHash } from 'node:crypto';

const PUBLIC_URL = 'https://auth.example.test';
const USER_AGENT = 'TesseraDpopTest/1.0';

interface ClientKey {
  privateKey: CryptoKey;
  publicJwk: Awaited<ReturnType<typeof exportJWK>>;
  jkt: string;
}

async function newKey(): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
}

describe('DPoP-bound tokens (RFC 9449)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { PUBLIC_URL, REFRESH_REUSE_GRACE: '0s' } });
  });
  afterAll(async () => {
    await t.close();
  });

  async function proof(
    key: ClientKey,
    claims: { htm: string; path?: string; htu?: string; nonce?: string; accessToken?: string },
  ): Promise<string> {
    return new SignJWT({
      htm: claims.htm,
      htu: claims.htu ?? `${PUBLIC_URL}${claims.path}`,
      jti: randomUUID(),
      ...(claims.nonce ? { nonce: claims.nonce } : {}),
      ...(claims.accessToken ? { ath: accessTokenHash(claims.accessToken) } : {}),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
      .setIssuedAt(Math.floor(t.clock.nowMs() / 1000))
      .sign(key.privateKey);
  }

  /** Any token endpoint answer carries a fresh nonce. */
  async function nonce(): Promise<string> {
    const res = await t.http.post('/auth/refresh').send({ refreshToken: 'unknown' });
    const value = res.headers['dpop-nonce'];
    expect(typeof value).toBe('string');
    return value;
  }

  async function boundLogin(
    key: ClientKey,
  ): Promise<{ accessToken: string; refreshToken: string }> {
    const email = uniqueEmail('dpop');
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('User-Agent', USER_AGENT)
      .set('DPoP', await proof(key, { htm: 'POST', path: '/auth/login', nonce: await nonce() }))
      .send({ email, password: PASSWORD })
      .expect(200);
    expect(res.body.tokenType).toBe('DPoP');
    return res.body as { accessToken: string; refreshToken: string };
  }

  /** oauth4webapi's fetch, answered by the app in process (PUBLIC_URL is not listened on). */
  async function viaApp(
    url: string,
    options: oauth.CustomFetchOptions<string, unknown>,
  ): Promise<Response> {
    const req = t.http.post(new URL(url).pathname);
    for (const [name, value] of Object.entries(options.headers)) req.set(name, value);
    // The session's user agent (a drastic change is refused as a suspected hijack).
    req.set('User-Agent', USER_AGENT);
    const res = await req.send(String(options.body));
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers as Record<string, unknown>)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    return new Response(res.text, { status: res.status, headers });
  }

  function refresh(refreshToken: string, dpop?: string): ReturnType<TestApp['http']['post']> {
    const req = t.http.post('/auth/refresh').set('User-Agent', USER_AGENT);
    if (dpop) req.set('DPoP', dpop);
    return req.send({ refreshToken });
  }

  it('asks for a nonce, then binds the login: token_type DPoP and cnf.jkt', async () => {
    const key = await newKey();
    const email = uniqueEmail('dpop');
    await register(t, email);
    const first = await t.http
      .post('/auth/login')
      .set('DPoP', await proof(key, { htm: 'POST', path: '/auth/login' }))
      .send({ email, password: PASSWORD })
      .expect(400);
    expect(first.body).toMatchObject({ code: 'use_dpop_nonce', error: 'use_dpop_nonce' });
    const serverNonce = first.headers['dpop-nonce'];
    expect(serverNonce).toBeTruthy();

    const res = await t.http
      .post('/auth/login')
      .set('DPoP', await proof(key, { htm: 'POST', path: '/auth/login', nonce: serverNonce }))
      .send({ email, password: PASSWORD })
      .expect(200);
    expect(res.body.tokenType).toBe('DPoP');
    expect(decodeJwt(res.body.accessToken as string).cnf).toEqual({ jkt: key.jkt });
    expect(res.headers['dpop-nonce']).toBeTruthy();
  });

  it('accepts a bound token only as DPoP with a proof of its key for this request', async () => {
    const key = await newKey();
    const { accessToken } = await boundLogin(key);
    const good = await proof(key, { htm: 'GET', path: '/auth/me', accessToken });
    await t.http
      .get('/auth/me')
      .set('Authorization', `DPoP ${accessToken}`)
      .set('DPoP', good)
      .expect(200);

    const asBearer = await t.http
      .get('/auth/me')
      .set('Authorization', `Bearer ${accessToken}`)
      .set('DPoP', await proof(key, { htm: 'GET', path: '/auth/me', accessToken }))
      .expect(401);
    expect(asBearer.headers['www-authenticate']).toMatch(/^DPoP /);
    // The same proof again, without a proof, another key's, or for another access token.
    const refused = [
      good,
      undefined,
      await proof(await newKey(), { htm: 'GET', path: '/auth/me', accessToken }),
      await proof(key, { htm: 'GET', path: '/auth/me', accessToken: `${accessToken}x` }),
      await proof(key, { htm: 'POST', path: '/auth/me', accessToken }),
    ];
    for (const dpop of refused) {
      const req = t.http.get('/auth/me').set('Authorization', `DPoP ${accessToken}`);
      if (dpop) req.set('DPoP', dpop);
      const res = await req.expect(401);
      expect(res.body.code).toBe('invalid_dpop_proof');
    }
  });

  it('refuses the DPoP scheme for an unbound token', async () => {
    const email = uniqueEmail('plain');
    await register(t, email);
    const login = await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(200);
    expect(login.body.tokenType).toBe('Bearer');
    const accessToken = login.body.accessToken as string;
    await t.http
      .get('/auth/me')
      .set('Authorization', `DPoP ${accessToken}`)
      .set('DPoP', await proof(await newKey(), { htm: 'GET', path: '/auth/me', accessToken }))
      .expect(401);
    await t.http.get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200);
  });

  it('refuses a bound refresh token without a proof, with another key, wrong htu or htm, or a replayed proof', async () => {
    const key = await newKey();
    const { refreshToken } = await boundLogin(key);
    const n = await nonce();

    const none = await refresh(refreshToken).expect(401);
    expect(none.body.code).toBe('invalid_dpop_proof');
    const otherKey = await refresh(
      refreshToken,
      await proof(await newKey(), { htm: 'POST', path: '/auth/refresh', nonce: n }),
    ).expect(401);
    expect(otherKey.body.code).toBe('invalid_dpop_proof');
    const wrongHtu = await refresh(
      refreshToken,
      await proof(key, { htm: 'POST', htu: 'https://evil.example/auth/refresh', nonce: n }),
    ).expect(400);
    expect(wrongHtu.body.code).toBe('invalid_dpop_proof');
    const wrongHtm = await refresh(
      refreshToken,
      await proof(key, { htm: 'GET', path: '/auth/refresh', nonce: n }),
    ).expect(400);
    expect(wrongHtm.body.code).toBe('invalid_dpop_proof');

    // None of the refusals rotated anything: the owner's proof still works, once.
    const good = await proof(key, { htm: 'POST', path: '/auth/refresh', nonce: n });
    const rotated = await refresh(refreshToken, good).expect(200);
    expect(rotated.body.tokenType).toBe('DPoP');
    expect(decodeJwt(rotated.body.accessToken as string).cnf).toEqual({ jkt: key.jkt });
    const replayed = await refresh(rotated.body.refreshToken as string, good).expect(400);
    expect(replayed.body.code).toBe('invalid_dpop_proof');
    await refresh(
      rotated.body.refreshToken as string,
      await proof(key, { htm: 'POST', path: '/auth/refresh', nonce: n }),
    ).expect(200);
  });

  it('refreshes a bound session at /oauth/token with DPoP and OAuth errors', async () => {
    const key = await newKey();
    const { refreshToken } = await boundLogin(key);
    const body = { grant_type: 'refresh_token', refresh_token: refreshToken };
    const noProof = await t.http.post('/oauth/token').type('form').send(body).expect(400);
    expect(noProof.body).toMatchObject({ error: 'invalid_dpop_proof' });

    const first = await t.http
      .post('/oauth/token')
      .type('form')
      .set('DPoP', await proof(key, { htm: 'POST', path: '/oauth/token' }))
      .send(body)
      .expect(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const res = await t.http
      .post('/oauth/token')
      .type('form')
      .set('User-Agent', USER_AGENT)
      .set(
        'DPoP',
        await proof(key, {
          htm: 'POST',
          path: '/oauth/token',
          nonce: first.headers['dpop-nonce'],
        }),
      )
      .send(body)
      .expect(200);
    expect(res.body.token_type).toBe('DPoP');
  });

  it('refuses a proof whose iat is outside the window (injectable clock)', async () => {
    const key = await newKey();
    const { refreshToken } = await boundLogin(key);
    const n = await nonce();
    const stale = await proof(key, { htm: 'POST', path: '/auth/refresh', nonce: n });
    t.clock.advance(61_000);
    const res = await refresh(refreshToken, stale).expect(400);
    expect(res.body.code).toBe('invalid_dpop_proof');
  });

  it('remembers token-endpoint proofs in the shared store (dpop_proof_jtis without Redis)', async () => {
    const key = await newKey();
    const { refreshToken } = await boundLogin(key);
    const jti = randomUUID();
    const signed = await new SignJWT({
      htm: 'POST',
      htu: `${PUBLIC_URL}/auth/refresh`,
      jti,
      nonce: await nonce(),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
      .setIssuedAt(Math.floor(t.clock.nowMs() / 1000))
      .sign(key.privateKey);
    await refresh(refreshToken, signed).expect(200);
    const hash = createHash('sha256').update(`${key.jkt}\u0000${jti}`).digest('hex');
    const rows = await t.dataSource.query<unknown[]>(
      'SELECT 1 FROM dpop_proof_jtis WHERE jti_hash = $1',
      [hash],
    );
    expect(rows).toHaveLength(1);
  });

  it('interoperates with oauth4webapi: a DPoP refresh at /oauth/token, retried on use_dpop_nonce', async () => {
    const pair = await generateKeyPair('ES256');
    const publicJwk = await exportJWK(pair.publicKey);
    const key: ClientKey = {
      privateKey: pair.privateKey,
      publicJwk,
      jkt: await calculateJwkThumbprint(publicJwk),
    };
    let { refreshToken } = await boundLogin(key);
    const as: oauth.AuthorizationServer = {
      issuer: PUBLIC_URL,
      token_endpoint: `${PUBLIC_URL}/oauth/token`,
    };
    // The server's (manual) clock may be ahead of this process's: tell the client.
    const client: oauth.Client = {
      client_id: 'dpop-interop',
      [oauth.clockSkew]: Math.round((t.clock.nowMs() - Date.now()) / 1000),
    };
    const dpop = oauth.DPoP(client, pair);
    let nonceRetries = 0;
    let granted: oauth.TokenEndpointResponse | undefined;
    for (let attempt = 0; attempt < 2 && !granted; attempt += 1) {
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        refreshToken,
        {
          DPoP: dpop,
          [oauth.customFetch]: viaApp,
        },
      );
      try {
        granted = await oauth.processRefreshTokenResponse(as, client, response);
      } catch (error) {
        if (!oauth.isDPoPNonceError(error)) throw error;
        nonceRetries += 1;
      }
    }
    expect(nonceRetries).toBe(1);
    expect(granted?.token_type).toBe('dpop');
    expect(decodeJwt(granted?.access_token ?? '').cnf).toEqual({ jkt: key.jkt });
    refreshToken = granted?.refresh_token ?? '';
    expect(refreshToken).not.toBe('');
  });

  it('advertises the proof algorithms in the metadata', async () => {
    const res = await t.http.get('/.well-known/oauth-authorization-server').expect(200);
    expect(res.body.dpop_signing_alg_values_supported).toEqual([
      'ES256',
      'EdDSA',
      'RS256',
      'PS256',
    ]);
  });

  // Two instances on one PostgreSQL database (the embedded database is private to its app).
  const describeOnServer = serverUrl() ? describe : describe.skip;
  describeOnServer('across instances', () => {
    it('refuses a proof replayed at another instance', async () => {
      const other = await createTestApp({
        env: { PUBLIC_URL, REFRESH_REUSE_GRACE: '0s' },
        databaseUrl: t.config.databaseUrl,
      });
      // Instances share the wall clock; the test clocks must too, or a nonce issued by one can
      // fall in a window the other no longer accepts (t's clock was advanced above).
      other.clock.set(t.clock.nowMs());
      try {
        const key = await newKey();
        const { refreshToken } = await boundLogin(key);
        const good = await proof(key, { htm: 'POST', path: '/auth/refresh', nonce: await nonce() });
        const rotated = await refresh(refreshToken, good).expect(200);
        const replayed = await other.http
          .post('/auth/refresh')
          .set('User-Agent', USER_AGENT)
          .set('DPoP', good)
          .send({ refreshToken: rotated.body.refreshToken as string })
          .expect(400);
        expect(replayed.body.code).toBe('invalid_dpop_proof');
      } finally {
        await other.close();
      }
    });
  });
});
