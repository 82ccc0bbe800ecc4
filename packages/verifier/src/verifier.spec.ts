import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createVerifier, type Verifier, type VerifierOptions } from './verifier';
import { VerifierError } from './errors';

const ISSUER = 'tessera';
const AUDIENCE = 'tessera-api';
const SECRET = 'a-feed-secret-of-thirty-two-chars!!';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** A stand-in for Tessera: JWKS, the revocation feed and introspection, counting requests. */
class FakeTessera {
  readonly requests: string[] = [];
  readonly feedHeaders: IncomingMessage['headers'][] = [];
  readonly streams = new Set<ServerResponse>();
  jwks: JWK[] = [];
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

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push(`${req.method} ${req.url}`);
    if (req.url === '/.well-known/jwks.json') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.jwks }));
    } else if (req.url === '/oauth/revocations') {
      this.feedHeaders.push(req.headers);
      if (!this.feedUp || req.headers.authorization !== `Bearer ${SECRET}`) {
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
