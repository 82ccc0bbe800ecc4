import { createTesseraClient, type TesseraClient } from './client';
import type { TesseraError } from './errors';
import { memoryStorage, type TesseraStorage } from './storage';
import { createLeaseTabLock, createTabLock } from './tab-lock';

/**
 * A fake Tessera: access tokens carry a generation; only the current generation is accepted
 * (older ones answer 401 token_expired); refresh tokens rotate and a replayed one is reuse.
 */
class FakeServer {
  generation = 1;
  refreshes = 0;
  refreshDelayMs = 20;
  /** Set: refresh answers only once this settles (a request that hangs). */
  refreshHeldUntil: Promise<void> | undefined;
  /** Set: the session is over; authenticated calls answer 401 with this code. */
  sessionEndedWith: string | undefined;
  /** Set: refresh answers 401 with this code (the session ended while the access token aged). */
  refreshEndedWith: string | undefined;
  private refreshToken = 'rt-1';

  readonly fetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path === '/auth/refresh') return this.refresh(request);
    if (path === '/auth/login') return this.tokens();
    if (this.sessionEndedWith) return problem(401, this.sessionEndedWith);
    const auth = request.headers.get('authorization');
    if (auth !== `Bearer at-${this.generation}`) return problem(401, 'token_expired');
    return json(200, { items: [], nextCursor: null });
  };

  /** Makes every issued access token stale, as time passing on the server would. */
  expireAccessTokens(): void {
    this.generation += 1;
  }

  private async refresh(request: Request): Promise<Response> {
    this.refreshes += 1;
    const body = (await request.json()) as { refreshToken?: string };
    await new Promise((resolve) => setTimeout(resolve, this.refreshDelayMs));
    await this.refreshHeldUntil;
    if (this.refreshEndedWith) return problem(401, this.refreshEndedWith);
    if (body.refreshToken !== this.refreshToken) return problem(401, 'refresh_token_reused');
    this.generation += 1;
    this.refreshToken = `rt-${this.generation}`;
    return this.tokens();
  }

  private tokens(): Response {
    return json(200, {
      accessToken: `at-${this.generation}`,
      refreshToken: this.refreshToken,
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshExpiresIn: 1800,
      user: { id: 'u1' },
      session: { id: 's1' },
    });
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

function problem(status: number, code: string): Response {
  return new Response(JSON.stringify({ status, code, title: code }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

let channelSeq = 0;

function clientFor(server: FakeServer, storage: TesseraStorage, channelName: string) {
  return createTesseraClient({
    baseUrl: 'http://tessera.test',
    transport: 'header',
    storage,
    channelName,
    fetch: server.fetch,
  });
}

describe('refresh coordination (header mode)', () => {
  let server: FakeServer;
  let storage: TesseraStorage;
  let channel: string;
  const clients: TesseraClient[] = [];

  beforeEach(async () => {
    server = new FakeServer();
    storage = memoryStorage();
    channelSeq += 1;
    channel = `spec-${Math.random().toString(36).slice(2)}-${channelSeq}`;
    const first = clientFor(server, storage, channel);
    clients.push(first);
    await first.login({ email: 'a@example.com', password: 'pw' });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('50 concurrent calls with an expired access token cause one refresh, and all succeed', async () => {
    server.expireAccessTokens();
    const results = await Promise.all(Array.from({ length: 50 }, () => clients[0].sessions.list()));
    expect(results).toHaveLength(50);
    expect(server.refreshes).toBe(1);
  });

  it('two tabs sharing storage refresh once between them', async () => {
    const second = clientFor(server, storage, channel);
    clients.push(second);
    server.expireAccessTokens();
    await Promise.all(Array.from({ length: 20 }, (_, i) => clients[i % 2].sessions.list()));
    expect(server.refreshes).toBe(1);
  });

  it('refreshes before expiry, within the skew, without a failed call first', async () => {
    let now = Date.now();
    const early = createTesseraClient({
      baseUrl: 'http://tessera.test',
      transport: 'header',
      fetch: server.fetch,
      refreshSkewSeconds: 30,
      now: () => now,
    });
    clients.push(early);
    await early.login({ email: 'a@example.com', password: 'pw' });
    const refreshesBefore = server.refreshes;
    now += 880_000; // 20 s before the 900 s expiry
    await early.sessions.list();
    expect(server.refreshes).toBe(refreshesBefore + 1);
  });

  it('refresh token reuse signs out once per tab, and every waiting call fails with the code', async () => {
    const second = clientFor(server, storage, channel);
    clients.push(second);
    const signedOut = [0, 0];
    clients[0].on('signedOut', () => (signedOut[0] += 1));
    second.on('signedOut', () => (signedOut[1] += 1));
    const stolen = storage.getItem('tessera.session');
    server.expireAccessTokens();
    await clients[0].sessions.list(); // rotates the refresh token
    storage.setItem('tessera.session', stolen ?? ''); // a replayed, already-rotated token
    server.expireAccessTokens();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => clients[i % 2].sessions.list()),
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // lets the peer message arrive
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(
      outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code: string }).code : '')),
    ).toContain('refresh_token_reused');
    expect(server.refreshes).toBe(2);
    expect(signedOut).toEqual([1, 1]);
    expect(storage.getItem('tessera.session')).toBeNull();
  });
});

describe('a session that ended on the server', () => {
  const ENDED_CODES = ['refresh_token_reused', 'session_revoked', 'session_expired'];
  const clients: TesseraClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  async function signedIn(
    server: FakeServer,
  ): Promise<{ client: TesseraClient; events: string[] }> {
    const client = createTesseraClient({
      baseUrl: 'http://tessera.test',
      transport: 'header',
      fetch: server.fetch,
    });
    clients.push(client);
    const events: string[] = [];
    client.on('signedOut', ({ reason }) => events.push(reason));
    await client.login({ email: 'a@example.com', password: 'pw' });
    return { client, events };
  }

  it.each(ENDED_CODES)(
    '50 concurrent calls answered 401 %s: signedOut fires once, every call fails with the code',
    async (code) => {
      const server = new FakeServer();
      const { client, events } = await signedIn(server);
      server.sessionEndedWith = code;

      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, () => client.sessions.list()),
      );

      expect(
        outcomes.map((o) => (o.status === 'rejected' ? (o.reason as TesseraError).code : 'ok')),
      ).toEqual(Array.from({ length: 50 }, () => code));
      expect(events).toEqual([code]);
      expect(server.refreshes).toBe(0);
    },
  );

  it.each(ENDED_CODES)(
    '50 concurrent calls whose one refresh answers 401 %s: signedOut fires once',
    async (code) => {
      const server = new FakeServer();
      const { client, events } = await signedIn(server);
      server.expireAccessTokens();
      server.refreshEndedWith = code;

      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, () => client.sessions.list()),
      );

      expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
      expect(server.refreshes).toBe(1);
      expect(events).toEqual([code]);
    },
  );
});

describe('refresh lock names', () => {
  const realNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  const clients: TesseraClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    if (realNavigator) Object.defineProperty(globalThis, 'navigator', realNavigator);
    else delete (globalThis as { navigator?: unknown }).navigator;
  });

  /** Web Locks with real exclusion per name: a request waits while its name is held. */
  function installWebLocks(): string[] {
    const names: string[] = [];
    const held = new Map<string, Promise<unknown>>();
    const locks = {
      async request<T>(name: string, _options: unknown, callback: () => Promise<T>): Promise<T> {
        names.push(name);
        const before = held.get(name) ?? Promise.resolve();
        const mine = before.catch(() => undefined).then(callback);
        held.set(name, mine);
        return mine;
      },
    };
    Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
    return names;
  }

  function clientOf(baseUrl: string, server: FakeServer, storageKey?: string): TesseraClient {
    const client = createTesseraClient({
      baseUrl,
      transport: 'header',
      storageKey,
      fetch: server.fetch,
    });
    clients.push(client);
    return client;
  }

  it('clients of different servers do not wait on each other: a stuck refresh holds up only its own', async () => {
    const names = installWebLocks();
    const slow = new FakeServer();
    const fast = new FakeServer();
    const stuck = clientOf('https://auth.one.example', slow);
    const other = clientOf('https://auth.two.example', fast);
    await stuck.login({ email: 'a@example.com', password: 'pw' });
    await other.login({ email: 'a@example.com', password: 'pw' });
    let release = (): void => undefined;
    slow.refreshHeldUntil = new Promise((resolve) => (release = resolve));
    slow.expireAccessTokens();
    fast.expireAccessTokens();

    const stuckCall = stuck.sessions.list();
    await new Promise((resolve) => setTimeout(resolve, 20)); // the stuck refresh holds its lock
    const startedAt = Date.now();
    await expect(other.sessions.list()).resolves.toEqual([]);

    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(fast.refreshes).toBe(1);
    release();
    await expect(stuckCall).resolves.toEqual([]);
    expect(names).toEqual([
      'tessera@https://auth.one.example.refresh',
      'tessera@https://auth.two.example.refresh',
    ]);
  });

  it('one server, one name (tabs of one app still coordinate); another storage prefix, another name', async () => {
    const names = installWebLocks();
    const servers = [new FakeServer(), new FakeServer(), new FakeServer()];
    const tabs = [
      clientOf('https://auth.example.com', servers[0]),
      clientOf('https://auth.example.com/', servers[1]),
      clientOf('https://auth.example.com', servers[2], 'admin'),
    ];
    for (const tab of tabs) await tab.login({ email: 'a@example.com', password: 'pw' });
    for (const [i, tab] of tabs.entries()) {
      servers[i].expireAccessTokens();
      await tab.sessions.list();
    }
    expect(names).toEqual([
      'tessera@https://auth.example.com.refresh',
      'tessera@https://auth.example.com.refresh',
      'admin@https://auth.example.com.refresh',
    ]);
  });
});

describe('lease tab lock', () => {
  it('excludes a second holder and lets it in after the first releases', async () => {
    const storage = memoryStorage();
    const options = { name: 'lock', storage, maxHoldMs: 5_000, now: () => Date.now() };
    const a = createLeaseTabLock(options);
    const b = createLeaseTabLock(options);
    const order: string[] = [];
    await Promise.all([
      a.run(async () => {
        order.push('a-in');
        await new Promise((resolve) => setTimeout(resolve, 60));
        order.push('a-out');
      }),
      b.run(async () => {
        order.push('b-in');
      }),
    ]);
    expect(order).toEqual(['a-in', 'a-out', 'b-in']);
  });

  it('takes over a lease whose holder never released it (no deadlock)', async () => {
    const storage = memoryStorage();
    let now = 1_000;
    const options = { name: 'lock', storage, maxHoldMs: 100, now: () => now };
    storage.setItem('lock.lease', JSON.stringify({ owner: 'crashed-tab', until: now + 100 }));
    const lock = createLeaseTabLock(options);
    const entered = lock.run(async () => 'entered');
    now += 101;
    await expect(entered).resolves.toBe('entered');
  });
});

describe('web locks tab lock', () => {
  const realNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    if (realNavigator) Object.defineProperty(globalThis, 'navigator', realNavigator);
    else delete (globalThis as { navigator?: unknown }).navigator;
  });

  it('steals the lock after maxHoldMs when its holder never lets go', async () => {
    const requests: Array<{ steal?: boolean }> = [];
    const locks = {
      // A lock held forever by a frozen tab: only a steal gets in; a waiter's signal aborts.
      request<T>(
        _name: string,
        options: { signal?: AbortSignal; steal?: boolean },
        callback: () => Promise<T>,
      ): Promise<T> {
        requests.push({ steal: options.steal });
        if (options.steal) return callback();
        return new Promise<T>((_resolve, reject) =>
          options.signal?.addEventListener('abort', () =>
            reject(new DOMException('The lock request timed out', 'TimeoutError')),
          ),
        );
      },
    };
    Object.defineProperty(globalThis, 'navigator', { value: { locks }, configurable: true });
    const lock = createTabLock({
      name: 'lock',
      storage: memoryStorage(),
      maxHoldMs: 50,
      now: () => Date.now(),
    });
    await expect(lock.run(async () => 'in')).resolves.toBe('in');
    expect(requests).toEqual([{ steal: undefined }, { steal: true }]);
  });
});
