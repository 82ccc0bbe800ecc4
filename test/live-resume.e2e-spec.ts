import type { AddressInfo } from 'node:net';
import { login, register, uniqueEmail, type TokenBody } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { SseClient } from './support/sse-client';
import { createTestApp, type TestApp } from './support/test-app';

/** GET /sessions/events resumes with Last-Event-ID (contract: cross-device sync). */
describe('live sync: resuming with Last-Event-ID', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await t.close();
  });

  async function signedIn(): Promise<TokenBody & { deviceId: string }> {
    const email = uniqueEmail('resume');
    await register(t, email);
    const tokens = await login(t, email, { device: { id: 'laptop-0001', name: 'Laptop' } });
    await drainEvents(t);
    return { ...tokens, deviceId: tokens.session.device?.id ?? '' };
  }

  function open(tokens: TokenBody, lastEventId?: string): Promise<SseClient> {
    return SseClient.open(`${base}/sessions/events`, {
      Authorization: `Bearer ${tokens.accessToken}`,
      ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
    });
  }

  /** One device.trusted or device.untrusted event, published. */
  async function toggleTrust(tokens: TokenBody & { deviceId: string }, trust: boolean) {
    const path = `/devices/${tokens.deviceId}/trust`;
    const auth = `Bearer ${tokens.accessToken}`;
    if (trust) await t.http.post(path).set('Authorization', auth).expect(204);
    else await t.http.delete(path).set('Authorization', auth).expect(204);
    await drainEvents(t);
  }

  it('replays the events missed while disconnected, in order, then continues live without duplicates', async () => {
    const user = await signedIn();
    const first = await open(user);
    await toggleTrust(user, true); // event 1
    const one = await first.next('device.trusted');
    expect(one.id).toBe(one.data.id);
    expect(first.lastEventId).toBe(one.id);
    first.close();

    await toggleTrust(user, false); // event 2, missed
    await toggleTrust(user, true); // event 3, missed

    const resumed = await open(user, one.id);
    const ready = resumed.events.find((e) => e.type === 'ready');
    expect(ready?.data).toMatchObject({ resumed: true, replayed: 2 });
    await resumed.next('device.trusted');
    const replayed = resumed.events.filter((e) => e.type !== 'ready');
    expect(replayed.map((e) => e.type)).toEqual(['device.untrusted', 'device.trusted']);
    expect(replayed.every((e) => e.id !== undefined && e.id !== one.id)).toBe(true);
    expect(new Set(replayed.map((e) => e.id)).size).toBe(2);

    // Live again: the next event arrives once.
    await toggleTrust(user, false); // event 4
    await resumed.next('device.untrusted', 3000, (e) => !replayed.some((r) => r.id === e.id));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ids = resumed.events.filter((e) => e.id !== undefined).map((e) => e.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    resumed.close();
  });

  it('a new stream starts at the newest event, so a client that saw nothing yet can resume', async () => {
    const user = await signedIn();
    await toggleTrust(user, true);
    const stream = await open(user);
    const ready = stream.events.find((e) => e.type === 'ready');
    expect(ready?.id).toBeDefined();
    expect(ready?.data).toMatchObject({ resumed: false });
    stream.close();
    await toggleTrust(user, false);
    const resumed = await open(user, stream.lastEventId);
    const missed = await resumed.next('device.untrusted');
    expect(missed.id).toBeDefined();
    expect(resumed.events.some((e) => e.type === 'device.trusted')).toBe(false);
    resumed.close();
  });

  it('an id beyond the replay bounds gets stream.reset (reload the state)', async () => {
    const user = await signedIn();
    await toggleTrust(user, true);
    const unknown = await open(user, '00000000-0000-4000-8000-000000000000');
    const reset = await unknown.next('stream.reset');
    expect(reset.data).toEqual({ reason: 'history_unavailable' });
    unknown.close();

    // Older than the 10-minute window: forgotten.
    const stream = await open(user);
    const position = stream.lastEventId;
    stream.close();
    t.clock.advance(11 * 60_000);
    const late = await open(user, position);
    await late.next('stream.reset');
    late.close();
  });
});
