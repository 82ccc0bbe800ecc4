import type { AddressInfo } from 'node:net';
import { LiveHub } from '../src/live/live-hub.service';
import { signedInUser, login } from './support/auth-client';
import { eventually } from './support/events-helpers';
import { createTestApp, type TestApp } from './support/test-app';

/** Just enough of an EventSource: knows when the server ends the stream and what it sent. */
class Stream {
  ended = false;
  text = '';
  private readonly abort = new AbortController();

  static async open(url: string, token: string): Promise<Stream> {
    const stream = new Stream();
    const res = await fetch(url, {
      headers: { Authorization: `Bearer ${token}` },
      signal: stream.abort.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
    void stream.read(res.body);
    await eventually(
      () => (stream.text.includes('event: ready') ? true : undefined),
      3000,
      'ready',
    );
    return stream;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) this.text += decoder.decode(chunk, { stream: true });
    } catch {
      // aborted by close()
    }
    this.ended = true;
  }

  close(): void {
    this.abort.abort();
  }
}

/**
 * Issue 10: one access token opened 150 /sessions/events streams. Now a session keeps its 3
 * newest, a user its LIVE_STREAMS_PER_USER newest, and an instance refuses past LIVE_STREAMS_MAX.
 */
describe('live streams: per-session, per-user and per-instance caps', () => {
  let t: TestApp;
  let url: string;
  let hub: LiveHub;
  const open: Stream[] = [];

  beforeAll(async () => {
    t = await createTestApp({ env: { LIVE_STREAMS_PER_USER: '5', LIVE_STREAMS_MAX: '8' } });
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}/sessions/events`;
    hub = t.app.get(LiveHub);
  });
  afterEach(async () => {
    for (const stream of open.splice(0)) stream.close();
    await eventually(() => (hub.subscriberCount === 0 ? true : undefined), 5000, 'no streams');
  });
  afterAll(async () => {
    await t.close();
  });

  async function openStream(token: string): Promise<Stream> {
    const stream = await Stream.open(url, token);
    open.push(stream);
    return stream;
  }

  it('a fourth stream of one session closes the oldest', async () => {
    const user = await signedInUser(t);
    const streams: Stream[] = [];
    for (let i = 0; i < 4; i += 1) streams.push(await openStream(user.accessToken));
    await eventually(() => (streams[0].ended ? true : undefined), 3000, 'oldest stream closed');
    expect(streams[0].text).toContain('event: stream.replaced');
    expect(streams.slice(1).map((s) => s.ended)).toEqual([false, false, false]);
    expect(hub.subscriberCount).toBe(3);
  });

  it("one stream more than the user's cap closes the user's oldest, across sessions", async () => {
    const user = await signedInUser(t);
    const second = await login(t, user.email);
    const streams: Stream[] = [];
    for (let i = 0; i < 3; i += 1) streams.push(await openStream(user.accessToken));
    for (let i = 0; i < 3; i += 1) streams.push(await openStream(second.accessToken));
    await eventually(() => (streams[0].ended ? true : undefined), 3000, 'oldest stream closed');
    expect(streams.slice(1).map((s) => s.ended)).toEqual([false, false, false, false, false]);
    expect(hub.subscriberCount).toBe(5);
  });

  it('past the instance cap, a new stream is refused with 503 and Retry-After', async () => {
    const a = await signedInUser(t);
    const a2 = await login(t, a.email);
    const b = await signedInUser(t);
    for (let i = 0; i < 3; i += 1) await openStream(a.accessToken);
    for (let i = 0; i < 2; i += 1) await openStream(a2.accessToken);
    for (let i = 0; i < 3; i += 1) await openStream(b.accessToken);
    expect(hub.subscriberCount).toBe(8);
    const c = await signedInUser(t);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${c.accessToken}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(((await res.json()) as { code: string }).code).toBe('service_unavailable');
    expect(hub.subscriberCount).toBe(8);
  });
});
