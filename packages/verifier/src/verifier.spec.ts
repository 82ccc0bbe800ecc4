import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createVerifier, type Verifier, type VerifierOptions } from './verifier';
import { VerifierError } from './errors';

const ISSUER = 'tessera';
const AUDIENCE = 'tessera-api';
const SECRET = 'a-feed-secret-of-thirty-two-chars!!';
const CLIENT = { clientId: 'svc_feed reader', clientSecret: 's3cret:with/odd+chars' };
/** RFC 6749 §2.3.1: both parts form-encoded, then Base64. */
const CLIENT_BASIC = `Basic ${Buffer.from('svc_feed+reader:s3cret%3Awith%2Fodd%2Bchars').toString('base64')}`;

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** A stand-in for Tessera: JWKS, the revocation feed and introspection, counting requests. */
class FakeTessera {
  readonly requests: string[] = [];
  readonly feedHeaders: IncomingMessage['headers'][] = [];
  readonly streams = new Set<ServerResponse>();
  jwks: JWK[] = [];
  /** Bearer values the feed and introspection accept besides SECRET: the service tokens issued. */
  readonly tokens = new Set<string>();
  /** The Authorization header of each POST /oauth/token. */
  readonly tokenAuthorizations: Array<string | undefined> = [];
  tokenLifetimeSeconds = 60;
  readonly introspectAuthorizations: Array<string | undefined> = [];
  introspectActive = true;
  feedUp = true;
  private server?: Server;
  baseUrl = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.dropFeeds();
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }

  send(text: string): void {
    for (const res of this.streams) res.write(text);
  }

  dropFeeds(): void {
    for (const res of this.streams) res.destroy();
    this.streams.clear();
  }

  private accepts(authorization: string | undefined): boolean {
    const bearer = authorization?.replace(/^Bearer /, '');
    return bearer === SECRET || (bearer !== undefined && this.tokens.has(bearer));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    if (req.url === '/.well-known/oauth-authorization-server') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: ISSUER, token_endpoint: `${this.baseUrl}/oauth/token` }));
    } else if (req.url === '/oauth/token' && req.method === 'POST') {
      this.tokenAuthorizations.push(req.headers.authorization);
      const ok = req.headers.authorization === CLIENT_BASIC;
      const token = `service-token-${this.tokenAuthorizations.length}`;
      if (ok) this.tokens.add(token);
      res.statusCode = ok ? 200 : 401;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify(
          ok
            ? { access_token: token, token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds }
            : { error: 'invalid_client' },
        ),
      );
    } else if (req.url === '/.well-known/jwks.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.jwks }));
    } else if (req.url === '/oauth/revocations') {
      this.feedHeaders.push(req.headers);
      if (!this.feedUp || !this.accepts(req.headers.authorization)) {
        res.statusCode = this.feedUp ? 401 : 503;
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `event: ended\ndata: {"sessions":[{"sid":"old","status":"revoked","endedAt":${Date.now() - 1000}}]}\n\n`,
      );
      res.write(
        'id: 100\nevent: ready\ndata: {"mode":"snapshot","count":1,"heartbeatMs":60000}\n\n',
      );
      this.streams.add(res);
      req.on('close', () => this.streams.delete(res));
    } else if (req.url === '/oauth/introspect') {
      this.introspectAuthorizations.push(req.headers.authorization);
      const bearer = req.headers.authorization?.replace(/^Bearer /, '');
      if (bearer !== 'service-token' && !this.tokens.has(bearer ?? '')) {
        res.statusCode = 401;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ active: this.introspectActive }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  }
}

let rsa: { privateKey: Key; jwk: JWK };
let ec: { privateKey: Key; jwk: JWK };

beforeAll(async () => {
  const r = await generateKeyPair('RS256');
  rsa = {
    privateKey: r.privateKey,
    jwk: { ...(await exportJWK(r.publicKey)), kid: 'r1', alg: 'RS256', use: 'sig' },
  };
  const e = await generateKeyPair('ES256');
  ec = {
    privateKey: e.privateKey,
    jwk: { ...(await exportJWK(e.publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' },
  };
});

interface TokenInput {
  sid?: string;
  typ?: string;
  iss?: string;
  aud?: string;
  alg?: 'RS256' | 'ES256';
  iat?: number;
  exp?: number;
}

function token(nowMs: number, input: TokenInput = {}): Promise<string> {
  const alg = input.alg ?? 'RS256';
  const iat = input.iat ?? Math.floor(nowMs / 1000);
  return new SignJWT({ sid: input.sid ?? 'session-1', roles: ['user'], amr: ['pwd'] })
    .setProtectedHeader({ alg, typ: input.typ ?? 'at+jwt', kid: alg === 'RS256' ? 'r1' : 'e1' })
    .setSubject('user-1')
    .setIssuer(input.iss ?? ISSUER)
    .setAudience(input.aud ?? AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(input.exp ?? iat + 900)
    .setJti('jti-1')
    .sign(alg === 'RS256' ? rsa.privateKey : ec.privateKey);
}

async function refusal(verifier: Verifier, jwt: string): Promise<string> {
  try {
    await verifier.verify(jwt);
    return 'accepted';
  } catch (error) {
    return error instanceof VerifierError ? error.code : String(error);
  }
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((done) => setTimeout(done, 5));
  }
}

describe('createVerifier', () => {
  let tessera: FakeTessera;
  let now: number;
  const verifiers: Verifier[] = [];

  function make(options: Partial<VerifierOptions> = {}): Verifier {
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      baseUrl: tessera.baseUrl,
      now: () => now,
      ...options,
    });
    verifiers.push(verifier);
    return verifier;
  }

  beforeEach(async () => {
    now = Date.now();
    tessera = new FakeTessera();
    tessera.jwks = [rsa.jwk, ec.jwk];
    await tessera.start();
  });

  afterEach(async () => {
    for (const verifier of verifiers.splice(0)) verifier.close();
    await tessera.stop();
  });

  it('returns the claims of a valid token, reading the JWKS once', async () => {
    const sut = make();
    const claims = await sut.verify(await token(now));
    expect(claims).toMatchObject({ sub: 'user-1', sid: 'session-1', roles: ['user'], iss: ISSUER });
    await sut.verify(await token(now));
    expect(tessera.requests).toEqual(['GET /.well-known/jwks.json']);
  });

  it.each<[string, TokenInput, string]>([
    ['another typ', { typ: 'JWT' }, 'invalid_token'],
    ['another issuer', { iss: 'someone-else' }, 'invalid_token'],
    ['another audience', { aud: 'another-api' }, 'invalid_token'],
    ['an algorithm not pinned (ES256)', { alg: 'ES256' }, 'invalid_token'],
    ['a lifetime over the maximum', { exp: Math.floor(Date.now() / 1000) + 7200 }, 'invalid_token'],
    [
      'an expired token',
      { iat: Math.floor(Date.now() / 1000) - 1000, exp: Math.floor(Date.now() / 1000) - 60 },
      'token_expired',
    ],
  ])('refuses %s', async (_label, input, code) => {
    const sut = make();
    expect(await refusal(sut, await token(now, input))).toBe(code);
  });

  it('accepts ES256 when the algorithm list allows it', async () => {
    const sut = make({ algorithms: ['ES256'] });
    expect(await refusal(sut, await token(now, { alg: 'ES256' }))).toBe('accepted');
    expect(await refusal(sut, await token(now))).toBe('invalid_token');
  });

  it('refuses a token of a session the feed reports ended, with no request per verification', async () => {
    const sut = make({ revocations: { secret: SECRET, onStale: 'fail-closed' } });
    await sut.ready();
    expect(await refusal(sut, await token(now, { sid: 'old' }))).toBe('session_revoked');
    const jwt = await token(now);
    expect(await refusal(sut, jwt)).toBe('accepted');

    tessera.send(
      `id: 200\nevent: ended\ndata: {"sessions":[{"sid":"session-1","status":"revoked","endedAt":${now}}]}\n\n`,
    );
    const before = tessera.requests.length;
    await until(() => sut.feedFresh && tessera.streams.size === 1);
    let code = 'accepted';
    const deadline = Date.now() + 2000;
    while (code === 'accepted' && Date.now() < deadline) code = await refusal(sut, jwt);
    expect(code).toBe('session_revoked');
    expect(tessera.requests.slice(before)).toEqual([]);
    expect(tessera.feedHeaders[0].authorization).toBe(`Bearer ${SECRET}`);
  });

  it('fails closed once the feed has been unheard for longer than maxStaleness', async () => {
    const sut = make({
      revocations: { secret: SECRET, maxStaleness: 5000, onStale: 'fail-closed' },
    });
    await sut.ready();
    const jwt = await token(now);
    now += 5000;
    expect(await refusal(sut, jwt)).toBe('accepted');
    now += 1;
    expect(await refusal(sut, jwt)).toBe('revocation_feed_stale');
    // A heartbeat on the live connection makes it fresh again.
    tessera.send(': heartbeat\n\n');
    await until(() => sut.feedFresh);
    expect(await refusal(sut, jwt)).toBe('accepted');
  });

  it('refuses before the first snapshot arrives (fail-closed) rather than trusting nothing', async () => {
    tessera.feedUp = false;
    const sut = make({ revocations: { secret: SECRET, onStale: 'fail-closed' } });
    expect(await refusal(sut, await token(now))).toBe('revocation_feed_stale');
  });

  it('introspects each token while the feed is stale, when so configured', async () => {
    tessera.feedUp = false;
    const sut = make({
      revocations: {
        secret: SECRET,
        onStale: 'introspect',
        introspection: { credential: () => 'service-token' },
      },
    });
    const jwt = await token(now);
    expect(await refusal(sut, jwt)).toBe('accepted');
    tessera.introspectActive = false;
    expect(await refusal(sut, jwt)).toBe('session_revoked');
    expect(tessera.requests.filter((r) => r === 'POST /oauth/introspect')).toHaveLength(2);
  });

  it('reconnects after a dropped feed and resumes with Last-Event-ID', async () => {
    const sut = make({
      revocations: {
        secret: SECRET,
        onStale: 'fail-closed',
        reconnect: { minDelayMs: 10, maxDelayMs: 50 },
      },
    });
    await sut.ready();
    tessera.send('id: 150\nevent: ended\ndata: {"sessions":[]}\n\n');
    await until(() => tessera.streams.size === 1);
    await new Promise((done) => setTimeout(done, 50));
    tessera.dropFeeds();
    await until(() => tessera.feedHeaders.length === 2 && tessera.streams.size === 1);
    expect(tessera.feedHeaders[0]['last-event-id']).toBeUndefined();
    expect(tessera.feedHeaders[1]['last-event-id']).toBe('150');
  });

  describe('with a registered service client for the feed', () => {
    const feedAuthorizations = (): Array<string | undefined> =>
      tessera.feedHeaders.map((headers) => headers.authorization);

    it('fetches a token at the metadata’s token endpoint and opens the feed with it', async () => {
      const sut = make({ revocations: { client: CLIENT, onStale: 'fail-closed' } });
      await sut.ready();
      expect(tessera.requests).toEqual([
        'GET /.well-known/oauth-authorization-server',
        'POST /oauth/token',
        'GET /oauth/revocations',
      ]);
      expect(tessera.tokenAuthorizations).toEqual([CLIENT_BASIC]);
      expect(feedAuthorizations()).toEqual(['Bearer service-token-1']);
      expect(await refusal(sut, await token(now, { sid: 'old' }))).toBe('session_revoked');
    });

    it('reconnects with a new token when the held one is about to expire, without a 401 first', async () => {
      const sut = make({
        revocations: {
          client: CLIENT,
          onStale: 'fail-closed',
          reconnect: { minDelayMs: 10, maxDelayMs: 50 },
        },
      });
      await sut.ready();
      const before = tessera.requests.length;
      // 60 s tokens are renewed 12 s (a fifth of their life) before they expire.
      now += 47_000;
      tessera.dropFeeds();
      await until(() => tessera.streams.size === 1);
      expect(tessera.requests.slice(before)).toEqual(['GET /oauth/revocations']);
      expect(feedAuthorizations()).toEqual(['Bearer service-token-1', 'Bearer service-token-1']);

      now += 2_000;
      tessera.dropFeeds();
      await until(() => tessera.feedHeaders.length === 3 && tessera.streams.size === 1);
      expect(tessera.requests.slice(before + 1)).toEqual([
        'POST /oauth/token',
        'GET /oauth/revocations',
      ]);
      expect(feedAuthorizations()[2]).toBe('Bearer service-token-2');
    });

    it('after a 401 at reconnect, fetches one new token and reconnects at once', async () => {
      const states: string[] = [];
      const sut = make({
        revocations: {
          client: CLIENT,
          onStale: 'fail-closed',
          reconnect: { minDelayMs: 10, maxDelayMs: 10 },
          onStateChange: (state, detail) => states.push(detail ? `${state}: ${detail}` : state),
        },
      });
      await sut.ready();
      const before = tessera.requests.length;
      tessera.tokens.clear(); // Tessera no longer honours the held token (expired, clock skew)
      tessera.dropFeeds();
      await until(() => tessera.feedHeaders.length === 3 && tessera.streams.size === 1);
      expect(tessera.requests.slice(before)).toEqual([
        'GET /oauth/revocations',
        'POST /oauth/token',
        'GET /oauth/revocations',
      ]);
      expect(feedAuthorizations()).toEqual([
        'Bearer service-token-1',
        'Bearer service-token-1',
        'Bearer service-token-2',
      ]);
      await until(() => sut.feedFresh);
      // One disconnection (the drop): the 401 was answered within the same attempt, no backoff.
      expect(states.filter((state) => state.startsWith('disconnected'))).toHaveLength(1);
    });

    it('keeps retrying with backoff, and reports why, while the client is refused', async () => {
      const states: string[] = [];
      const sut = make({
        revocations: {
          client: { ...CLIENT, clientSecret: 'wrong' },
          onStale: 'fail-closed',
          reconnect: { minDelayMs: 10, maxDelayMs: 20 },
          onStateChange: (state, detail) => states.push(detail ? `${state}: ${detail}` : state),
        },
      });
      await until(() => tessera.tokenAuthorizations.length >= 3);
      expect(sut.feedFresh).toBe(false);
      expect(tessera.feedHeaders).toEqual([]);
      expect(states).toContain('disconnected: the token endpoint answered 401 invalid_client');
      // The metadata is read once; only the token request is retried.
      expect(
        tessera.requests.filter((r) => r === 'GET /.well-known/oauth-authorization-server'),
      ).toHaveLength(1);
      expect(states.join('\n')).not.toContain('wrong');
    });

    it('introspects as a service client: one token for many calls, a new one after a 401', async () => {
      tessera.feedUp = false;
      const sut = make({
        revocations: {
          secret: SECRET,
          onStale: 'introspect',
          introspection: { client: CLIENT },
        },
      });
      const jwt = await token(now);
      expect(await refusal(sut, jwt)).toBe('accepted');
      expect(await refusal(sut, jwt)).toBe('accepted');
      tessera.tokens.clear();
      expect(await refusal(sut, jwt)).toBe('accepted');
      expect(tessera.tokenAuthorizations).toEqual([CLIENT_BASIC, CLIENT_BASIC]);
      expect(tessera.introspectAuthorizations).toEqual([
        'Bearer service-token-1',
        'Bearer service-token-1',
        'Bearer service-token-1',
        'Bearer service-token-2',
      ]);
    });

    it('asks a credential function again after a 401', async () => {
      let calls = 0;
      const sut = make({
        revocations: {
          credential: () => (calls++ === 0 ? 'stale-value' : SECRET),
          onStale: 'fail-closed',
        },
      });
      await sut.ready();
      expect(feedAuthorizations()).toEqual(['Bearer stale-value', `Bearer ${SECRET}`]);
    });

    it('refuses a configuration with more than one credential, or none', () => {
      const base = { issuer: ISSUER, audience: AUDIENCE, baseUrl: tessera.baseUrl };
      expect(() =>
        createVerifier({
          ...base,
          revocations: { secret: SECRET, client: CLIENT, onStale: 'fail-closed' },
        }),
      ).toThrow(/exactly one of: secret, client, credential/);
      expect(() => createVerifier({ ...base, revocations: { onStale: 'fail-closed' } })).toThrow(
        /exactly one/,
      );
    });
  });

  describe('JWKS rotation', () => {
    let rotated: { privateKey: Key; jwk: JWK };
    let clock: jest.SpiedFunction<typeof Date.now>;
    let wallMs: number;

    beforeAll(async () => {
      const r = await generateKeyPair('RS256');
      rotated = {
        privateKey: r.privateKey,
        jwk: { ...(await exportJWK(r.publicKey)), kid: 'r2', alg: 'RS256', use: 'sig' },
      };
    });
    // jose times its JWKS cooldown (30 s) with Date.now: drive it by hand.
    beforeEach(() => {
      wallMs = Date.now();
      clock = jest.spyOn(Date, 'now').mockImplementation(() => wallMs);
    });
    afterEach(() => clock.mockRestore());

    function signed(kid: string, key: Key): Promise<string> {
      const iat = Math.floor(now / 1000);
      return new SignJWT({ sid: 'session-1', roles: ['user'] })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
        .setSubject('user-1')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 900)
        .sign(key);
    }
    const jwksReads = (): number =>
      tessera.requests.filter((r) => r === 'GET /.well-known/jwks.json').length;

    it('accepts a token signed by a new kid after exactly one more JWKS read', async () => {
      const sut = make();
      expect(await refusal(sut, await signed('r1', rsa.privateKey))).toBe('accepted');
      expect(jwksReads()).toBe(1);

      tessera.jwks = [rotated.jwk]; // Tessera rotated: the old key is gone, r2 signs
      wallMs += 31_000;
      const fresh = await signed('r2', rotated.privateKey);
      expect(await refusal(sut, fresh)).toBe('accepted');
      expect(jwksReads()).toBe(2);
      // Cached from now on.
      for (let i = 0; i < 10; i += 1) expect(await refusal(sut, fresh)).toBe('accepted');
      expect(jwksReads()).toBe(2);
    });

    it('does not storm the JWKS with unknown kids: one read per cooldown at most', async () => {
      const sut = make();
      expect(await refusal(sut, await signed('r1', rsa.privateKey))).toBe('accepted');
      const forged = await signed('unknown', rotated.privateKey);

      // Within the cooldown after a read: no read at all.
      const first = await Promise.all(Array.from({ length: 50 }, () => refusal(sut, forged)));
      expect(new Set(first)).toEqual(new Set(['invalid_token']));
      expect(jwksReads()).toBe(1);

      // After it: 50 concurrent verifications share one read; the next 50 none.
      wallMs += 31_000;
      const second = await Promise.all(Array.from({ length: 50 }, () => refusal(sut, forged)));
      expect(new Set(second)).toEqual(new Set(['invalid_token']));
      expect(jwksReads()).toBe(2);
      for (let i = 0; i < 50; i += 1) await refusal(sut, forged);
      expect(jwksReads()).toBe(2);
      // The known key still verifies meanwhile.
      expect(await refusal(sut, await signed('r1', rsa.privateKey))).toBe('accepted');
    });
  });

  it('needs an introspection credential to introspect', () => {
    expect(() =>
      createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        baseUrl: tessera.baseUrl,
        revocations: { secret: SECRET, onStale: 'introspect' },
      }),
    ).toThrow(/introspection/);
  });
});
