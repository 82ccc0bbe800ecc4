import { ClusterBus, type ClusterChannel, type SessionEndedMessage } from './cluster-bus';

/** A bus whose transport is the test: `inject` plays a message arriving from another instance. */
class TestBus extends ClusterBus {
  inject(channel: string, raw: unknown): void {
    this.receive(channel, raw);
  }
  protected async sendOnCommit(): Promise<void> {}
  protected async send(): Promise<void> {}
}

const SESSION = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const USER = '0b0e4f6c-2d1a-4a39-9f5e-3c6a1d2b7e10';

describe('ClusterBus: messages from the transport', () => {
  let bus: TestBus;
  let ended: SessionEndedMessage[];

  beforeEach(() => {
    bus = new TestBus();
    ended = [];
    bus.subscribe('session_ended', (message) => ended.push(message));
  });

  it('delivers a well-formed message from another instance', () => {
    bus.inject('session_ended', `other|${JSON.stringify({ s: 'revoked', t: 1, ids: [SESSION] })}`);
    expect(ended).toEqual([{ s: 'revoked', t: 1, ids: [SESSION] }]);
    expect(bus.droppedMessages).toBe(0);
  });

  it.each<[string, string, unknown]>([
    ['no sender tag', 'session_ended', '{"s":"revoked","t":1,"ids":[]}'],
    ['not JSON', 'session_ended', 'other|{"s":'],
    ['JSON null', 'session_ended', 'other|null'],
    ['wrong reason', 'session_ended', `other|{"s":"nuked","t":1,"ids":["${SESSION}"]}`],
    ['ids not an array', 'session_ended', 'other|{"s":"revoked","t":1,"ids":"x"}'],
    ['an id that is no uuid', 'session_ended', 'other|{"s":"revoked","t":1,"ids":[{"a":1}]}'],
    ['time not a number', 'session_ended', `other|{"s":"revoked","t":"1","ids":["${SESSION}"]}`],
    ['an unknown channel', '__proto__', `other|{"s":"revoked","t":1,"ids":["${SESSION}"]}`],
    ['a user event without a user', 'user_event', 'other|{"id":"e","type":"x","occurredAt":"t"}'],
    ['no payload at all', 'session_ended', undefined],
  ])('drops and counts a message with %s, without throwing', (_why, channel, raw) => {
    const events: unknown[] = [];
    bus.subscribe('user_event', (message) => events.push(message));
    expect(() => bus.inject(channel, raw)).not.toThrow();
    expect(ended).toEqual([]);
    expect(events).toEqual([]);
    expect(bus.droppedMessages).toBe(1);
  });

  it('accepts a user event of the right shape', () => {
    const events: unknown[] = [];
    bus.subscribe('user_event', (message) => events.push(message));
    const event = { id: 'e-1', type: 'session.revoked', occurredAt: 'now', userId: USER, data: {} };
    bus.inject('user_event', `other|${JSON.stringify(event)}`);
    expect(events).toEqual([event]);
  });

  it('keeps delivering to the other handlers when one throws', () => {
    bus.subscribe('session_ended', () => {
      throw new Error('boom');
    });
    const later: unknown[] = [];
    bus.subscribe('session_ended', (m) => later.push(m));
    const raw = `other|${JSON.stringify({ s: 'expired', t: 2, ids: [] })}`;
    expect(() => bus.inject('session_ended' satisfies ClusterChannel, raw)).not.toThrow();
    expect(ended).toHaveLength(1);
    expect(later).toHaveLength(1);
  });
});
