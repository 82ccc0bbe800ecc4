import type { UserEventMessage } from '../events/cluster-bus';

/** How far back a reconnecting stream can resume (Last-Event-ID): the smaller bound wins. */
export interface ReplayBounds {
  /** Events older than this (by when this instance received them) are forgotten. */
  windowMs: number;
  /** At most this many recent events per user. */
  perUser: number;
  /** At most this many events across all users; the least recently active users go first. */
  total: number;
}

export const DEFAULT_REPLAY_BOUNDS: ReplayBounds = {
  windowMs: 10 * 60_000,
  perUser: 100,
  total: 100_000,
};

interface Entry {
  event: UserEventMessage;
  receivedAtMs: number;
}

/** What a reconnect with Last-Event-ID gets: the events after it, or "unknown" (resync). */
export type ReplayResult = { found: true; events: UserEventMessage[] } | { found: false };

/**
 * Each user's recent streamed events, in the order this instance received them, so that a
 * stream reconnecting with Last-Event-ID gets what it missed. Every instance receives every
 * user event from the cluster bus, so any instance can answer a reconnect. Memory only:
 * bounded by `ReplayBounds`, and empty after a restart (the client is then told to resync).
 */
export class LiveReplayBuffer {
  /** Map order is recency of the user's last event: the first users are the least active. */
  private readonly byUser = new Map<string, Entry[]>();
  private size = 0;

  constructor(private readonly bounds: ReplayBounds = DEFAULT_REPLAY_BOUNDS) {}

  /** Remembers an event; false if it was already known (a duplicate delivery). */
  record(event: UserEventMessage, nowMs: number): boolean {
    const entries = this.byUser.get(event.userId) ?? [];
    if (entries.some((entry) => entry.event.id === event.id)) return false;
    this.byUser.delete(event.userId);
    this.byUser.set(event.userId, entries);
    entries.push({ event, receivedAtMs: nowMs });
    this.size += 1;
    this.trimUser(event.userId, entries, nowMs);
    this.trimTotal(nowMs);
    return true;
  }

  /** The user's events after `lastEventId`, oldest first; not found when it is outside the bounds. */
  after(userId: string, lastEventId: string, nowMs: number): ReplayResult {
    const entries = this.byUser.get(userId);
    if (!entries) return { found: false };
    this.trimUser(userId, entries, nowMs);
    const index = entries.findIndex((entry) => entry.event.id === lastEventId);
    if (index < 0) return { found: false };
    return { found: true, events: entries.slice(index + 1).map((entry) => entry.event) };
  }

  /** The id of the user's newest remembered event: where a new stream starts from. */
  latestId(userId: string, nowMs: number): string | undefined {
    const entries = this.byUser.get(userId);
    if (!entries) return undefined;
    this.trimUser(userId, entries, nowMs);
    return entries.at(-1)?.event.id;
  }

  get eventCount(): number {
    return this.size;
  }

  private trimUser(userId: string, entries: Entry[], nowMs: number): void {
    const cutoff = nowMs - this.bounds.windowMs;
    let drop = Math.max(0, entries.length - this.bounds.perUser);
    while (drop < entries.length && entries[drop].receivedAtMs < cutoff) drop += 1;
    if (drop > 0) {
      entries.splice(0, drop);
      this.size -= drop;
    }
    if (entries.length === 0) this.byUser.delete(userId);
  }

  /** Over the total: drop the least recently active users; also sweep one stale user per call. */
  private trimTotal(nowMs: number): void {
    for (const [userId, entries] of this.byUser) {
      if (this.size <= this.bounds.total) {
        this.trimUser(userId, entries, nowMs);
        return;
      }
      this.byUser.delete(userId);
      this.size -= entries.length;
    }
  }
}
