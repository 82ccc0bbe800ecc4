/**
 * GET /oauth/revocations, the revocation feed @tessera/verifier subscribes to: the shared-secret
 * credential (404 while unconfigured), the snapshot, live events with ids, resuming with
 * Last-Event-ID, heartbeats, and the OpenAPI description.
 */
import type { AddressInfo } from 'node:net';
import { bearer, login, register, signedInUser, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

const SECRET = 'feed-e2e-secret-0123456789abcdefghij';
const MINUTE = 60_000;

interface FeedEvent {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Reads a feed as raw text and parses its events; enough for assertions. */
class FeedReader {
  text = '';
  private readonly abort = new AbortController();

  static async open(base: string, headers: Record<string, string> = {}): Promise<FeedReader> {
    const reader = new FeedReader();
    const res = await fetch(`${base}/oauth/revocations`, {
      headers: { authorization: `Bearer ${SECRET}`, ...headers },
      signal: reader.abort.signal,
    });
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== 200 || !type.startsWith('text/event-stream'))
      throw new Error(`feed refused: ${res.status} ${type} ${await res.text()}`);
    void reader.read(res.body!);
    await reader.waitFor((events) => events.some((e) => e.event === 'ready'));
    return reader;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) this.text += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted by close()
    }
  }

  events(): FeedEvent[] {
    return this.text
      .split('\n\n')
      .filter((block) => /^(event|data|id):/m.test(block))
      .map((block) => {
        const field = (name: string): string | undefined =>
          block
            .split('\n')
            .find((line) => line.startsWith(`${name}: `))
            ?.slice(name.length + 2);
        return {
          event: field('event') ?? 'message',
          id: field('id'),
          data: JSON.parse(field('data') ?? '{}') as Record<string, unknown>,
        };
      });
  }

  endedIds(): string[] {
    return this.events()
      .filter((e) => e.event === 'ended')
      .flatMap((e) => (e.data.sessions as Array<{ sid: string }>).map((s) => s.sid));
  }

  ready(): FeedEvent {
    const ready = this.events().find((e) => e.event === 'ready');
    if (!ready) throw new Error(`no ready event in ${this.text}`);
    return ready;
  }

  async waitFor(check: (events: FeedEvent[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.events())) {
      if (Date.now() > deadline) throw new Error(`feed did not deliver in time:\n${this.text}`);
      await new Promise((done) => setTimeout(done, 10));
    }
  }

  close(): void {
    this.abort.abort();
  }
}

async function listen(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
}

async function endedSession(t: TestApp): Promise<string> {
  const user = await signedInUser(t);
  await t.http
    .post('/auth/logout')
    .set(...bearer(user.accessToken))
    .expect(204);
  return user.session.id;
}

describe('GET /oauth/revocations', () => {
  let t: TestApp;
  let base: string;
  const readers: FeedReader[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      env: { REVOCATION_FEED_SECRET: SECRET, REVOCATION_FEED_HEARTBEAT: '100ms' },
    });
    base = await listen(t);
  });

  afterEach(() => {
    for (const reader of readers.splice(0)) reader.close();
  });

  afterAll(async () => {
    await t.close();
  });

  async function open(headers: Record<string, string> = {}): Promise<FeedReader> {
    const reader = await FeedReader.open(base, headers);
    readers.push(reader);
    return reader;
  }

  it('refuses a missing or wrong credential as problem+json, a user token included', async () => {
    const user = await signedInUser(t);
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'unauthenticated'],
      [`Bearer ${SECRET}x`, 'token_invalid'],
      [`Bearer ${user.accessToken}`, 'token_invalid'],
    ];
    for (const [authorization, code] of cases) {
      const req = t.http.get('/oauth/revocations');
      const res = await (authorization ? req.set('Authorization', authorization) : req);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code });
    }
  });

  it('starts with a snapshot of recent endings, then ready with an id', async () => {
    const sid = await endedSession(t);
    const reader = await open();
    expect(reader.endedIds()).toContain(sid);
    const ready = reader.ready();
    expect(ready.data).toMatchObject({ mode: 'snapshot', heartbeatMs: 100 });
    expect(ready.id).toBe(String(t.clock.nowMs()));
  });

  it('sends each new ending live, with an id, and heartbeats in between', async () => {
    const reader = await open();
    const user = await signedInUser(t);
    await t.http
      .post('/auth/logout')
      .set(...bearer(user.accessToken))
      .expect(204);
    await reader.waitFor((events) =>
      events.some(
        (e) =>
          e.event === 'ended' &&
          e.id !== undefined &&
          (e.data.sessions as Array<{ sid: string }>).some(
            (s) => s.sid === user.session.id && 'status' in s && 'endedAt' in s,
          ),
      ),
    );
    const before = reader.text.split(': heartbeat').length;
    await new Promise((done) => setTimeout(done, 600));
    expect(reader.text.split(': heartbeat').length - before).toBeGreaterThanOrEqual(2);
  });

  it('resumes after Last-Event-ID with a replay of what ended since, not the whole snapshot', async () => {
    const older = await endedSession(t);
    t.clock.advance(5 * MINUTE);
    const first = await open();
    const cursor = first.ready().id!;
    first.close();

    t.clock.advance(5 * MINUTE);
    const missed = await endedSession(t);
    const resumed = await open({ 'Last-Event-ID': cursor });
    expect(resumed.ready().data).toMatchObject({ mode: 'replay' });
    expect(resumed.endedIds()).toContain(missed);
    expect(resumed.endedIds()).not.toContain(older);
  });

  it('answers a snapshot for a cursor older than the remembered endings, or a malformed one', async () => {
    const sid = await endedSession(t);
    for (const cursor of ['1', 'not-a-cursor']) {
      const reader = await open({ 'Last-Event-ID': cursor });
      expect(reader.ready().data).toMatchObject({ mode: 'snapshot' });
      expect(reader.endedIds()).toContain(sid);
    }
  });

  it('carries every session a sign-out everywhere ends', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const one = await login(t, email);
    const two = await login(t, email);
    const reader = await open();
    await t.http
      .post('/auth/logout-all')
      .set(...bearer(one.accessToken))
      .expect(204);
    await reader.waitFor((events) =>
      [one.session.id, two.session.id].every((sid) =>
        events.some(
          (e) =>
            e.event === 'ended' &&
            (e.data.sessions as Array<{ sid: string }>).some((s) => s.sid === sid),
        ),
      ),
    );
  });

  it('is documented as an event stream with a service credential', async () => {
    const doc = (await t.http.get('/docs/openapi.json').expect(200)).body as {
      paths: Record<string, { get?: { security?: unknown[]; responses: Record<string, unknown> } }>;
    };
    const op = doc.paths['/oauth/revocations']?.get;
    // The shared secret, or a service client holding revocations:read.
    expect(op?.security).toEqual([
      { revocationFeed: [] },
      { serviceToken: [] },
      { serviceClient: [] },
    ]);
    expect(JSON.stringify(op?.responses['200'])).toContain('text/event-stream');
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['401', '404']));
  });
});

describe('GET /oauth/revocations without REVOCATION_FEED_SECRET', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('does not exist (404 problem+json) without a credential; a refused one is 401', async () => {
    const none = await t.http.get('/oauth/revocations');
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ code: 'not_found' });
    // A verifier still configured with a secret the server no longer has learns why.
    const res = await t.http.get('/oauth/revocations').set('Authorization', `Bearer ${SECRET}`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'token_invalid' });
  });
});
