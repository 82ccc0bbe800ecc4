import type { UserEventMessage } from '../events/cluster-bus';
import { LiveReplayBuffer } from './live-replay-buffer';

let counter = 0;
function makeEvent(overrides: Partial<UserEventMessage> = {}): UserEventMessage {
  counter += 1;
  return {
    id: `event-${counter}`,
    type: 'device.trusted',
    occurredAt: new Date(0).toISOString(),
    userId: 'user-1',
    data: {},
    ...overrides,
  };
}

const ids = (events: UserEventMessage[]): string[] => events.map((event) => event.id);

describe('LiveReplayBuffer', () => {
  it('replays the events after the last one seen, in order', () => {
    const sut = new LiveReplayBuffer();
    const [one, two, three] = [makeEvent(), makeEvent(), makeEvent()];
    for (const event of [one, two, three]) sut.record(event, 1_000);
    expect(sut.after('user-1', one.id, 1_000)).toEqual({ found: true, events: [two, three] });
    expect(sut.after('user-1', three.id, 1_000)).toEqual({ found: true, events: [] });
    expect(sut.latestId('user-1', 1_000)).toBe(three.id);
  });

  it("keeps users apart: another user's id is unknown", () => {
    const sut = new LiveReplayBuffer();
    const mine = makeEvent();
    const theirs = makeEvent({ userId: 'user-2' });
    sut.record(mine, 0);
    sut.record(theirs, 0);
    expect(sut.after('user-1', theirs.id, 0)).toEqual({ found: false });
  });

  it('ignores a duplicate delivery', () => {
    const sut = new LiveReplayBuffer();
    const event = makeEvent();
    expect(sut.record(event, 0)).toBe(true);
    expect(sut.record(event, 0)).toBe(false);
    expect(sut.eventCount).toBe(1);
  });

  it('forgets events older than the window', () => {
    const sut = new LiveReplayBuffer({ windowMs: 60_000, perUser: 100, total: 1_000 });
    const old = makeEvent();
    const recent = makeEvent();
    sut.record(old, 0);
    sut.record(recent, 50_000);
    expect(sut.after('user-1', old.id, 70_000)).toEqual({ found: false });
    expect(sut.after('user-1', recent.id, 70_000)).toEqual({ found: true, events: [] });
    expect(sut.latestId('user-1', 200_000)).toBeUndefined();
    expect(sut.eventCount).toBe(0);
  });

  it('keeps at most perUser events per user', () => {
    const sut = new LiveReplayBuffer({ windowMs: 60_000, perUser: 2, total: 1_000 });
    const events = [makeEvent(), makeEvent(), makeEvent()];
    for (const event of events) sut.record(event, 0);
    expect(sut.after('user-1', events[0].id, 0)).toEqual({ found: false });
    const replay = sut.after('user-1', events[1].id, 0);
    expect(replay.found && ids(replay.events)).toEqual([events[2].id]);
  });

  it('over the total, drops the least recently active users first', () => {
    const sut = new LiveReplayBuffer({ windowMs: 60_000, perUser: 10, total: 2 });
    const a = makeEvent({ userId: 'a' });
    const b = makeEvent({ userId: 'b' });
    const c = makeEvent({ userId: 'c' });
    for (const event of [a, b, c]) sut.record(event, 0);
    expect(sut.eventCount).toBe(2);
    expect(sut.latestId('a', 0)).toBeUndefined();
    expect(sut.latestId('b', 0)).toBe(b.id);
    expect(sut.latestId('c', 0)).toBe(c.id);
  });
});
