/**
 * Issue 14: live signing-key rotation and the ES256 / PS256 / EdDSA algorithms. jose verifies
 * against the server's JWKS (createRemoteJWKSet) across a rotation: old tokens keep verifying
 * until they expire, new tokens use the new key, and nothing restarts. The two-instance case
 * needs a shared database, so it runs with DATABASE_URL (PostgreSQL) only: this base has no
 * shared embedded database for two processes. Time-based steps use the ManualClock in-process.
 */
import { randomBytes, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  jwtVerify,
} from 'jose';
import { bearer, login, register, signedInUser, uniqueEmail } from './support/auth-client';
import { makeAdmin, eventually } from './support/events-helpers';
import { runToExit, spawnInstance, type Instance } from './support/spawn-instance';
import { createTestApp, type TestApp } from './support/test-app';
import { createScratchDatabase, type ScratchDatabase, serverUrl } from './support/test-database';

const MINUTE = 60_000;
const PASSWORD = 'correct horse battery staple';

function kidOf(token: string): string {
  return decodeProtectedHeader(token).kid ?? '';
}

async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  const address = t.app.getHttpServer().address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}

describe('key rotation on one instance (ManualClock)', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp({
      generatedSigningKeys: true,
      env: { JWT_KEY_ACTIVATION_DELAY: '5m', ADMIN_REQUIRE_MFA: 'false' },
    });
    base = await listen(t);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('publishes first, signs after the delay, keeps the old key until its tokens expired', async () => {
    const adminEmail = uniqueEmail('keys-admin');
    const { id } = await register(t, adminEmail);
    await makeAdmin(t, id);
    const admin = await login(t, adminEmail);
    const user = await signedInUser(t);
    const oldKid = kidOf(user.accessToken);
    const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`), {
      cooldownDuration: 0,
    });
    const verify = (token: string) =>
      jwtVerify(token, jwks, { currentDate: t.clock.now(), issuer: t.config.jwt.issuer });
    await verify(user.accessToken);

    // Ordinary users cannot rotate.
    await t.http
      .post('/admin/keys/rotate')
      .set(...bearer(user.accessToken))
      .expect(403);
    const rotated = await t.http
      .post('/admin/keys/rotate')
      .set(...bearer(admin.accessToken))
      .expect(200);
    const newKid = rotated.body.key.kid as string;
    expect(newKid).not.toBe(oldKid);
    expect(rotated.body.key).toMatchObject({ alg: 'RS256', state: 'pending' });
    expect(Date.parse(rotated.body.key.signFrom) - t.clock.nowMs()).toBe(5 * MINUTE);
    expect(rotated.body.retired).toEqual([
      expect.objectContaining({ kid: oldKid, state: 'active' }),
    ]);
    const retireAfter = Date.parse(rotated.body.retired[0].retireAfter as string);
    // Last token the old key can sign: at the switch, living ACCESS_TOKEN_TTL, plus 30 s leeway.
    expect(retireAfter - Date.parse(rotated.body.key.signFrom)).toBe(15 * MINUTE + 30_000);

    // Audited, with the admin as actor.
    await t.flushEvents();
    const audit = await t.http
      .get('/admin/audit')
      .query({ type: 'keys.rotated', limit: 10 })
      .set(...bearer(admin.accessToken))
      .expect(200);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        type: 'keys.rotated',
        data: expect.objectContaining({ kid: newKid, retiredKids: [oldKid], actorId: id }),
      }),
    ]);

    // Published at once, but not signing yet.
    const published = await t.http.get('/.well-known/jwks.json').expect(200);
    expect(published.body.keys.map((key: { kid: string }) => key.kid).sort()).toEqual(
      [oldKid, newKid].sort(),
    );
    expect(JSON.stringify(published.body)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
    expect(kidOf((await login(t, user.email)).accessToken)).toBe(oldKid);

    // After the activation delay the new key signs; the old token still verifies, no restart.
    t.clock.advance(5 * MINUTE);
    const fresh = await login(t, user.email);
    expect(kidOf(fresh.accessToken)).toBe(newKid);
    await verify(fresh.accessToken);
    await verify(user.accessToken);
    await t.http
      .get('/auth/me')
      .set(...bearer(user.accessToken))
      .expect(200);

    const listed = await t.http
      .get('/admin/keys')
      .set(...bearer(admin.accessToken))
      .expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ kid: newKid, state: 'active', retireAfter: null }),
      expect.objectContaining({ kid: oldKid, state: 'verifying' }),
    ]);
    expect(JSON.stringify(listed.body)).not.toMatch(/PRIVATE|"d"/);

    // Retired: gone from the JWKS once every token it signed has expired.
    t.clock.set(retireAfter + 1000);
    const after = await t.http.get('/.well-known/jwks.json').expect(200);
    expect(after.body.keys.map((key: { kid: string }) => key.kid)).toEqual([newKid]);
  });

  it('rotation needs a fresh authentication', async () => {
    const adminEmail = uniqueEmail('keys-stale');
    const { id } = await register(t, adminEmail);
    await makeAdmin(t, id);
    const admin = await login(t, adminEmail);
    t.clock.advance(11 * MINUTE);
    const refused = await t.http
      .post('/admin/keys/rotate')
      .set(...bearer(admin.accessToken))
      .expect(401);
    expect(refused.body.code).toBe('step_up_required');
  });
});

describe.each(['ES256', 'PS256', 'EdDSA'] as const)('JWT_ALGORITHM=%s', (alg) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ generatedSigningKeys: true, env: { JWT_ALGORITHM: alg } });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('signs with it, and jose verifies the token with the JWKS', async () => {
    const { accessToken } = await signedInUser(t);
    const header = decodeProtectedHeader(accessToken);
    expect(header).toMatchObject({ alg, typ: 'at+jwt' });
    const jwks = (await t.http.get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    expect(jwks.keys).toEqual([
      expect.objectContaining({
        kid: header.kid,
        alg,
        use: 'sig',
        kty: { ES256: 'EC', PS256: 'RSA', EdDSA: 'OKP' }[alg],
      }),
    ]);
    expect(jwks.keys[0].crv).toBe({ ES256: 'P-256', PS256: undefined, EdDSA: 'Ed25519' }[alg]);
    const { payload } = await jwtVerify(accessToken, createLocalJWKSet(jwks), {
      algorithms: [alg],
      currentDate: t.clock.now(),
      issuer: t.config.jwt.issuer,
      audience: t.config.jwt.audience,
    });
    expect(typeof payload.sid).toBe('string');
    await t.http
      .get('/auth/me')
      .set(...bearer(accessToken))
      .expect(200);
  });

  it('refuses a token whose alg differs from the key, however it is signed', async () => {
    const { accessToken } = await signedInUser(t);
    const [h, p, s] = accessToken.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    const other = alg === 'ES256' ? 'EdDSA' : 'ES256';
    const swapped = Buffer.from(JSON.stringify({ ...header, alg: other })).toString('base64url');
    // The original signature under another alg, and a valid signature by a key of that alg.
    const key =
      other === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
        : generateKeyPairSync('ed25519').privateKey;
    const input = `${swapped}.${p}`;
    const forged = cryptoSign(other === 'ES256' ? 'sha256' : null, Buffer.from(input), {
      key,
      dsaEncoding: 'ieee-p1363',
    }).toString('base64url');
    for (const token of [`${input}.${s}`, `${input}.${forged}`]) {
      const res = await t.http
        .get('/auth/me')
        .set(...bearer(token))
        .expect(401);
      expect(res.body.code).toBe('token_invalid');
    }
  });
});

describe('upgrade from key files in DATA_DIR/keys', () => {
  it('imports them at first start, so tokens they signed stay valid', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tessera-legacy-keys-'));
    try {
      const older = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const newer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      mkdirSync(join(dataDir, 'keys'), { recursive: true });
      const pem = (key: typeof older) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
      writeFileSync(join(dataDir, 'keys', '2026-01-01T00-00-00-000Z.pem'), pem(older));
      writeFileSync(join(dataDir, 'keys', '2026-02-01T00-00-00-000Z.pem'), pem(newer));
      const instance = await spawnInstance({
        env: { DATA_DIR: dataDir, JWT_PRIVATE_KEY: '', JWT_ALGORITHM: 'ES256' },
        readyTimeoutMs: 90_000,
      });
      try {
        const jwks = (await (
          await fetch(`${instance.baseUrl}/.well-known/jwks.json`)
        ).json()) as JSONWebKeySet;
        expect(jwks.keys).toHaveLength(2);
        const email = uniqueEmail('legacy');
        await fetch(`${instance.baseUrl}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: PASSWORD }),
        });
        const res = await fetch(`${instance.baseUrl}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: PASSWORD }),
        });
        const { accessToken } = (await res.json()) as { accessToken: string };
        // The newest file signs, as it did before the upgrade.
        const newerJwk = createLocalJWKSet(jwks);
        await jwtVerify(accessToken, newerJwk);
        const expectedKid = jwks.keys.find(
          (key) => key.x === (newer.export({ format: 'jwk' }) as { x: string }).x,
        )?.kid;
        expect(kidOf(accessToken)).toBe(expectedKid);
      } finally {
        await instance.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

const server = serverUrl();
const withServer = server ? describe : describe.skip;

withServer('key rotation across two instances (PostgreSQL)', () => {
  let scratch: ScratchDatabase;
  let dir: string;
  let env: Record<string, string>;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    scratch = await createScratchDatabase(server ?? '');
    dir = mkdtempSync(join(tmpdir(), 'tessera-keys-'));
    const encryptionKey = join(dir, 'encryption.key');
    writeFileSync(encryptionKey, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    env = {
      DATABASE_URL: scratch.url,
      DATA_DIR: dir,
      ENCRYPTION_KEY_FILE: encryptionKey,
      JWT_PRIVATE_KEY: '',
      JWT_ALGORITHM: 'ES256',
      JWT_KEY_ACTIVATION_DELAY: '8s',
    };
    // Started together: the first-start key generation must not give two signing keys.
    [a, b] = await Promise.all([
      spawnInstance({ env, readyTimeoutMs: 90_000 }),
      spawnInstance({ env, readyTimeoutMs: 90_000 }),
    ]);
  }, 180_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await scratch?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function loginAt(instance: Instance, email: string): Promise<string> {
    const res = await fetch(`${instance.baseUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  }

  async function jwksKids(instance: Instance): Promise<string[]> {
    const res = await fetch(`${instance.baseUrl}/.well-known/jwks.json`);
    return ((await res.json()) as JSONWebKeySet).keys.map((key) => key.kid ?? '');
  }

  it('B serves the new key without restart; old tokens verify, both sign with the new kid after the delay', async () => {
    const pids = [a.pid, b.pid];
    expect(await jwksKids(a)).toEqual(await jwksKids(b));
    expect(await jwksKids(a)).toHaveLength(1);

    const email = uniqueEmail('keys-multi');
    const registered = await fetch(`${a.baseUrl}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(registered.status).toBe(201);
    const oldToken = await loginAt(a, email);
    const oldKid = kidOf(oldToken);
    const jwks = createRemoteJWKSet(new URL(`${b.baseUrl}/.well-known/jwks.json`), {
      cooldownDuration: 500,
    });
    await jwtVerify(oldToken, jwks);

    const rotated = await runToExit({ args: ['keys:rotate'], env });
    expect(rotated).toMatchObject({ code: 0, stderr: '' });
    const match = /signing key (\S+) published; it signs from (\S+?);/.exec(rotated.stdout);
    expect(match).not.toBeNull();
    const [, newKid, signFromText] = match ?? [];
    const signFrom = Date.parse(signFromText);

    // The bus tells both instances at once (the 30 s refresh is only the backstop).
    const rotatedAt = Date.now();
    await eventually(
      async () => ((await jwksKids(b)).includes(newKid) ? true : undefined),
      5000,
      'B publishes the new key',
    );
    console.log(`B published the new kid ${Date.now() - rotatedAt} ms after the CLI exited`);
    expect((await jwksKids(a)).sort()).toEqual([oldKid, newKid].sort());
    // Before signFrom B still signs with the old key (the CLI start leaves seconds of the 8 s).
    const early = await loginAt(b, email);
    const earlyEnough = Date.now() < signFrom - 500;
    expect(earlyEnough ? kidOf(early) : oldKid).toBe(oldKid);

    await new Promise((done) => setTimeout(done, Math.max(0, signFrom - Date.now() + 300)));
    const fromA = await loginAt(a, email);
    const fromB = await loginAt(b, email);
    expect(kidOf(fromA)).toBe(newKid);
    expect(kidOf(fromB)).toBe(newKid);
    await jwtVerify(fromA, jwks);
    await jwtVerify(fromB, jwks);
    await jwtVerify(oldToken, jwks);
    const me = await fetch(`${b.baseUrl}/auth/me`, {
      headers: { authorization: `Bearer ${oldToken}` },
    });
    expect(me.status).toBe(200);
    expect([a.pid, b.pid]).toEqual(pids);
  }, 90_000);
});
