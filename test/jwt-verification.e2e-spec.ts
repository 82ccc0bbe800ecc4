import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as rsaSign,
} from 'node:crypto';
import { createLocalJWKSet, decodeJwt, jwtVerify, decodeProtectedHeader } from 'jose';
import { bearer, signedInUser, type TokenBody } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function parts(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>,
  };
}

function signRs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  pem: string,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${rsaSign('sha256', Buffer.from(input), createPrivateKey(pem)).toString('base64url')}`;
}

describe('access token verification', () => {
  let t: TestApp;
  let tokens: TokenBody;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  const key = (): string => process.env.TESSERA_TEST_SIGNING_KEY ?? '';

  beforeAll(async () => {
    t = await createTestApp();
    tokens = await signedInUser(t);
    ({ header, payload } = parts(tokens.accessToken));
  });
  afterAll(async () => {
    await t.close();
  });

  async function expectRefused(token: string, code = 'token_invalid'): Promise<void> {
    const res = await t.http
      .get('/auth/me')
      .set(...bearer(token))
      .expect(401);
    expect(res.body.code).toBe(code);
  }

  it('issues RFC 9068 tokens with the contract claims and no personal data', () => {
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(typeof header.kid).toBe('string');
    expect(Object.keys(payload).sort()).toEqual([
      'amr',
      'aud',
      'auth_time',
      'exp',
      'iat',
      'iss',
      'jti',
      'roles',
      'sid',
      'sub',
    ]);
    expect(payload.exp).toBe((payload.iat as number) + 900);
    // RFC 9470 / RFC 8176: a password login, authenticated when the token was issued.
    expect(payload.amr).toEqual(['pwd']);
    expect(payload.auth_time).toBe(payload.iat);
    expect(JSON.stringify(payload)).not.toContain('@');
  });

  it('the re-signed original is accepted (the forging helper itself is sound)', async () => {
    await t.http
      .get('/auth/me')
      .set(...bearer(signRs256(header, payload, key())))
      .expect(200);
  });

  it('refuses alg none', async () => {
    await expectRefused(`${b64({ ...header, alg: 'none' })}.${b64(payload)}.`);
    await expectRefused(`${b64({ ...header, alg: 'none' })}.${b64(payload)}`);
  });

  it('refuses HS256 signed with the public key', async () => {
    const publicKeyPem = createPublicKey(key()).export({ format: 'pem', type: 'spki' }) as string;
    const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`;
    const mac = createHmac('sha256', publicKeyPem).update(input).digest('base64url');
    await expectRefused(`${input}.${mac}`);
  });

  it('refuses a wrong issuer or audience', async () => {
    await expectRefused(signRs256(header, { ...payload, iss: 'https://evil.example' }, key()));
    await expectRefused(signRs256(header, { ...payload, aud: 'another-api' }, key()));
  });

  it('refuses an expired token and a not-yet-valid one', async () => {
    const now = Math.floor(t.clock.nowMs() / 1000);
    await expectRefused(
      signRs256(header, { ...payload, iat: now - 1000, exp: now - 60 }, key()),
      'token_expired',
    );
    await expectRefused(signRs256(header, { ...payload, nbf: now + 600 }, key()));
  });

  it('refuses tokens signed with our key but missing exp or iat, or with a non-numeric one', async () => {
    const { exp: _exp, ...noExp } = payload;
    const { iat: _iat, ...noIat } = payload;
    await expectRefused(signRs256(header, noExp, key()));
    await expectRefused(signRs256(header, noIat, key()));
    await expectRefused(signRs256(header, { ...payload, iat: String(payload.iat) }, key()));
  });

  it('refuses a token issued in the future beyond the clock tolerance', async () => {
    const now = Math.floor(t.clock.nowMs() / 1000);
    await expectRefused(signRs256(header, { ...payload, iat: now + 120, exp: now + 900 }, key()));
    // Within the tolerance (5 s) it is still accepted.
    await t.http
      .get('/auth/me')
      .set(...bearer(signRs256(header, { ...payload, iat: now + 2, exp: now + 900 }, key())))
      .expect(200);
  });

  it('refuses a lifetime longer than the configured maximum (60 min plus tolerance)', async () => {
    const now = Math.floor(t.clock.nowMs() / 1000);
    await expectRefused(signRs256(header, { ...payload, iat: now - 10, exp: now + 7200 }, key()));
    await expectRefused(
      signRs256(header, { ...payload, iat: now - 10, exp: now - 10 + 3600 + 60 }, key()),
    );
    // Also when it has already expired: the answer is token_invalid, not token_expired.
    await expectRefused(signRs256(header, { ...payload, iat: now - 90_000, exp: now - 60 }, key()));
    await t.http
      .get('/auth/me')
      .set(...bearer(signRs256(header, { ...payload, iat: now - 10, exp: now - 10 + 3600 }, key())))
      .expect(200);
  });

  it('refuses a service-shaped token on user routes, even signed by our key for the user audience', async () => {
    // A client_credentials token names a client, not a session: never a user's credential.
    await expectRefused(signRs256(header, { ...payload, client_id: 'svc_x' }, key()));
    const { sid: _sid, roles: _roles, auth_time: _at, amr: _amr, ...serviceShape } = payload;
    await expectRefused(
      signRs256(
        header,
        { ...serviceShape, client_id: payload.sub, scope: 'tokens:introspect' },
        key(),
      ),
    );
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = tokens.accessToken.split('.');
    await expectRefused(`${h}.${b64({ ...payload, roles: ['user', 'admin'] })}.${s}`);
  });

  it('refuses an unknown kid, and a token signed by another key under our kid', async () => {
    await expectRefused(signRs256({ ...header, kid: 'unknown-kid' }, payload, key()));
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string;
    await expectRefused(signRs256(header, payload, other));
  });

  it('ignores header-supplied keys (jwk, jku, x5u)', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const pem = attacker.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await expectRefused(
      signRs256(
        { ...header, jwk, jku: 'http://127.0.0.1:1/jwks', x5u: 'http://127.0.0.1:1/x' },
        payload,
        pem,
      ),
    );
  });

  it('refuses a token whose typ is not at+jwt', async () => {
    await expectRefused(signRs256({ ...header, typ: 'JWT' }, payload, key()));
  });

  it('refuses tokens in the URL: only the Authorization header or the cookie count', async () => {
    const res = await t.http.get(`/auth/me?access_token=${tokens.accessToken}`).expect(401);
    expect(res.body.code).toBe('unauthenticated');
  });

  it('the JWKS verifies tokens with an independent library (jose)', async () => {
    const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body;
    for (const jwk of jwks.keys) {
      expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(jwk.d).toBeUndefined();
      expect(jwk.p).toBeUndefined();
      expect(Buffer.from(jwk.n, 'base64url').length * 8).toBe(3072);
    }
    const { payload: verified, protectedHeader } = await jwtVerify(
      tokens.accessToken,
      createLocalJWKSet(jwks),
      {
        issuer: t.config.jwt.issuer,
        audience: t.config.jwt.audience,
        algorithms: ['RS256'],
        typ: 'at+jwt',
        currentDate: t.clock.now(),
      },
    );
    expect(verified.sid).toBe(tokens.session.id);
    expect(protectedHeader.kid).toBe(decodeProtectedHeader(tokens.accessToken).kid);
  });

  it('publishes RFC 8414 metadata', async () => {
    const res = await t.http.get('/.well-known/oauth-authorization-server').expect(200);
    // The issuer is derived from PUBLIC_URL (http://localhost:PORT by default): an absolute URL.
    expect(t.config.jwt.issuer).toBe('http://localhost:3000');
    expect(res.body).toMatchObject({
      issuer: t.config.jwt.issuer,
      token_endpoint: 'http://localhost:3000/oauth/token',
      revocation_endpoint: 'http://localhost:3000/oauth/revoke',
      introspection_endpoint: 'http://localhost:3000/oauth/introspect',
      jwks_uri: 'http://localhost:3000/.well-known/jwks.json',
      grant_types_supported: ['refresh_token', 'client_credentials'],
    });
    expect(decodeJwt(tokens.accessToken).iss).toBe(t.config.jwt.issuer);
  });
});
