import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AppException } from '../../common/app.exception';
import { ManualClock } from '../../common/clock';
import { hashToken } from '../../common/opaque-token';
import type { AppConfig } from '../../config/app-config';
import {
  JWT_BEARER_ASSERTION,
  parseBasicCredentials,
  ServiceClientAuthenticator,
} from './service-client-authenticator';
import type { ServiceClientRecord, ServiceClientRepository } from './service-client.repository';

const ISSUER = 'https://auth.example.com';
const INTROSPECT = `${ISSUER}/oauth/introspect`;
const SECRET = 'a-high-entropy-secret-of-the-client';

/** The repository's contract in memory: rows by id, assertion jtis in a set. */
class MemoryClients {
  readonly rows = new Map<string, ServiceClientRecord>();
  readonly jtis = new Set<string>();

  findActive(id: string): Promise<ServiceClientRecord | undefined> {
    const row = this.rows.get(id);
    return Promise.resolve(row && !row.disabledAt ? row : undefined);
  }
  noteUsed(): Promise<void> {
    return Promise.resolve();
  }
  rememberAssertion(hash: string): Promise<boolean> {
    if (this.jtis.has(hash)) return Promise.resolve(false);
    this.jtis.add(hash);
    return Promise.resolve(true);
  }
  deleteExpiredAssertions(): Promise<void> {
    return Promise.resolve();
  }
}

function record(overrides: Partial<ServiceClientRecord>): ServiceClientRecord {
  return {
    id: 'svc_secret',
    name: 'test',
    scopes: ['tokens:introspect'],
    authMethod: 'client_secret_basic',
    secretHash: hashToken(SECRET),
    jwks: null,
    createdAt: new Date(0),
    disabledAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}

const basicHeader = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function expectRefusal(promise: Promise<unknown>): Promise<AppException> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppException);
  const app = error as AppException;
  expect(app.code).toBe('invalid_client');
  expect(app.extras.members).toMatchObject({ error: 'invalid_client' });
  expect(app.extras.headers?.['WWW-Authenticate']).toMatch(/^Basic /);
  return app;
}

describe('parseBasicCredentials (RFC 6749 §2.3.1)', () => {
  it('form-urldecodes the id and the secret', () => {
    const header = `Basic ${Buffer.from('svc%3Aa:s+e%25cret').toString('base64')}`;
    expect(parseBasicCredentials(header)).toEqual({ clientId: 'svc:a', secret: 's e%cret' });
  });

  it.each([
    'Basic',
    'Basic !!!',
    `Basic ${Buffer.from('no-colon').toString('base64')}`,
    'Bearer x',
  ])('refuses %p', (header) => {
    expect(parseBasicCredentials(header)).toBeUndefined();
  });
});

describe('ServiceClientAuthenticator', () => {
  let clients: MemoryClients;
  let clock: ManualClock;
  let sut: ServiceClientAuthenticator;
  let privateKey: CryptoKey;

  beforeEach(async () => {
    clients = new MemoryClients();
    clock = new ManualClock(Date.UTC(2030, 0, 1));
    const config = { jwt: { issuer: ISSUER }, publicUrl: ISSUER } as AppConfig;
    sut = new ServiceClientAuthenticator(
      clients as unknown as ServiceClientRepository,
      config,
      clock,
    );
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    clients.rows.set('svc_secret', record({}));
    clients.rows.set(
      'svc_key',
      record({
        id: 'svc_key',
        authMethod: 'private_key_jwt',
        secretHash: null,
        jwks: { keys: [jwk] },
      }),
    );
  });

  function assertion(
    claims: { iss?: string; sub?: string; aud?: string; exp?: number; jti?: string } = {},
    key: CryptoKey = privateKey,
  ): Promise<string> {
    const now = Math.floor(clock.nowMs() / 1000);
    return new SignJWT({ jti: claims.jti ?? randomUUID() })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(claims.iss ?? 'svc_key')
      .setSubject(claims.sub ?? 'svc_key')
      .setAudience(claims.aud ?? ISSUER)
      .setIssuedAt(now)
      .setExpirationTime(claims.exp ?? now + 60)
      .sign(key);
  }

  const withAssertion = (jwt: string, type = JWT_BEARER_ASSERTION) => ({
    headers: {},
    body: { client_assertion_type: type, client_assertion: jwt },
  });

  it('answers undefined when no client credentials are presented (a public client)', async () => {
    await expect(
      sut.authenticate({ headers: {}, body: { client_id: 'app' } }, INTROSPECT),
    ).resolves.toBeUndefined();
    await expect(
      sut.authenticate({ headers: { authorization: 'Bearer x.y.z' } }, INTROSPECT),
    ).resolves.toBeUndefined();
  });

  it('accepts the secret by Basic and in the form body', async () => {
    const caller = { clientId: 'svc_secret', scopes: ['tokens:introspect'], registered: true };
    await expect(
      sut.authenticate(
        { headers: { authorization: basicHeader('svc_secret', SECRET) } },
        INTROSPECT,
      ),
    ).resolves.toEqual(caller);
    await expect(
      sut.authenticate(
        { headers: {}, body: { client_id: 'svc_secret', client_secret: SECRET } },
        INTROSPECT,
      ),
    ).resolves.toEqual(caller);
  });

  it('refuses a wrong secret, an unknown or disabled client, and a key client with a secret', async () => {
    await expectRefusal(
      sut.authenticate(
        { headers: { authorization: basicHeader('svc_secret', `${SECRET}x`) } },
        INTROSPECT,
      ),
    );
    await expectRefusal(
      sut.authenticate(
        { headers: { authorization: basicHeader('svc_nobody', SECRET) } },
        INTROSPECT,
      ),
    );
    await expectRefusal(
      sut.authenticate({ headers: { authorization: basicHeader('svc_key', SECRET) } }, INTROSPECT),
    );
    clients.rows.set('svc_secret', record({ disabledAt: new Date(0) }));
    await expectRefusal(
      sut.authenticate(
        { headers: { authorization: basicHeader('svc_secret', SECRET) } },
        INTROSPECT,
      ),
    );
  });

  it('refuses two methods at once, a body client_id naming another client, malformed Basic', async () => {
    await expectRefusal(
      sut.authenticate(
        {
          headers: { authorization: basicHeader('svc_secret', SECRET) },
          body: { client_id: 'svc_secret', client_secret: SECRET },
        },
        INTROSPECT,
      ),
    );
    await expectRefusal(
      sut.authenticate(
        {
          headers: { authorization: basicHeader('svc_secret', SECRET) },
          body: { client_id: 'other' },
        },
        INTROSPECT,
      ),
    );
    await expectRefusal(sut.authenticate({ headers: { authorization: 'Basic %%%' } }, INTROSPECT));
    await expectRefusal(
      sut.authenticate({ headers: {}, body: { client_secret: SECRET } }, INTROSPECT),
    );
  });

  it('accepts a private_key_jwt assertion for the issuer, the endpoint or the token endpoint', async () => {
    for (const aud of [ISSUER, INTROSPECT, `${ISSUER}/oauth/token`]) {
      await expect(
        sut.authenticate(withAssertion(await assertion({ aud })), INTROSPECT),
      ).resolves.toEqual({ clientId: 'svc_key', scopes: ['tokens:introspect'], registered: true });
    }
  });

  it('refuses a replayed assertion (its jti is single-use)', async () => {
    const jwt = await assertion();
    await sut.authenticate(withAssertion(jwt), INTROSPECT);
    const refused = await expectRefusal(sut.authenticate(withAssertion(jwt), INTROSPECT));
    expect(refused.detail).toContain('already used');
  });

  it('refuses bad assertions', async () => {
    const now = Math.floor(clock.nowMs() / 1000);
    const other = (await generateKeyPair('ES256')).privateKey;
    const bad = [
      await assertion({ aud: 'https://other.example.com' }),
      await assertion({ aud: `${ISSUER}/oauth/revoke` }),
      await assertion({ iss: 'svc_other' }),
      await assertion({ sub: 'svc_secret', iss: 'svc_secret' }),
      await assertion({ exp: now + 3600 }),
      await assertion({}, other),
      'not-a-jwt',
    ];
    for (const jwt of bad) await expectRefusal(sut.authenticate(withAssertion(jwt), INTROSPECT));
    await expectRefusal(sut.authenticate(withAssertion(await assertion(), 'jwt'), INTROSPECT));
    // Expired, by the injectable clock (no waiting).
    const stale = await assertion();
    clock.advance(120_000);
    await expectRefusal(sut.authenticate(withAssertion(stale), INTROSPECT));
  });

  it('refuses a symmetric (HS256) assertion even if it names the client', async () => {
    const hs = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('svc_key')
      .setSubject('svc_key')
      .setAudience(ISSUER)
      .setExpirationTime(Math.floor(clock.nowMs() / 1000) + 60)
      .sign(Buffer.from(SECRET));
    await expectRefusal(sut.authenticate(withAssertion(hs), INTROSPECT));
  });
});
