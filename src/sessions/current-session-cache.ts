import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ClusterBus } from '../events/cluster-bus';
import type { UserViewSource } from '../users/users.service';
import type { SessionView } from './session-views';

/** What GET /auth/me shows, as read: the session (with its device), the user, the idle window. */
export interface CurrentSession {
  session: SessionView;
  user: UserViewSource;
  idleTimeoutSeconds: number;
}

interface Entry {
  /** The access token (jti) it was read for: a refresh brings a new token, hence a new read. */
  tokenId: string;
  userId: string;
  value: CurrentSession;
  /** The token's expiry, or the backstop for a lost bus message, whichever comes first. */
  forgetAtMs: number;
}

/** Bounded: the cache must not grow with the number of sessions (RSS at 1M sessions). */
export const CURRENT_SESSION_CACHE_MAX = 5000;
/** Entries are dropped this long after they were read even without a message (a lost one). */
export const CURRENT_SESSION_BACKSTOP_MS = 30_000;
/** Invalidations remembered for reads in flight; past this, reads in flight are not stored. */
const INVALIDATIONS_MAX = 10_000;

/**
 * GET /auth/me without a query on a warm cache, kept exact by the events that change what it
 * shows: a session's end ('session_ended', the same message the revocation view applies, so
 * the cache is as current as the guard) and a change of the user's roles, lock or a device's
 * name or trust ('user_changed', published by those transactions on commit). Both reach every
 * instance over the cluster bus; after a lost connection (resync) everything is dropped. The
 * activity fields are recomputed per answer from this instance's pending activity, as the
 * activity flush would write them. A refresh issues a new access token, which is read anew.
 *
 * A read that was in flight while an invalidation of its user or session arrived is not stored
 * (it may have read the row before the change committed).
 */
@Injectable()
export class CurrentSessionCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every invalidation; a read remembers the value it started at. */
  private epoch = 0;
  /** Reads started at or before this epoch may not be stored (after a resync or an overflow). */
  private floor = 0;
  /** The epoch of the last invalidation per user ("u:") and session ("s:") id. */
  private readonly invalidated = new Map<string, number>();
  private readsInFlight = 0;

  constructor(
    bus: ClusterBus,
    private readonly clock: Clock,
  ) {
    bus.subscribe('session_ended', (message) => {
      for (const id of message.ids) this.invalidateSession(id);
    });
    bus.subscribe('user_changed', (message) => this.invalidateUser(message.u));
    bus.onResync(() => this.clear());
  }

  get size(): number {
    return this.entries.size;
  }

  /** What is cached for this session and token, or undefined. No I/O. */
  get(sessionId: string, tokenId: string): CurrentSession | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry || entry.tokenId !== tokenId) return undefined;
    if (entry.forgetAtMs <= this.clock.nowMs()) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.value;
  }

  /**
   * Reads through `read` and keeps the result unless an invalidation of its user or session
   * arrived while the read was in flight.
   */
  async load(
    key: { sessionId: string; userId: string; tokenId: string; tokenExpiresAtMs: number },
    read: () => Promise<CurrentSession | undefined>,
  ): Promise<CurrentSession | undefined> {
    const startedAt = this.epoch;
    this.readsInFlight += 1;
    try {
      const value = await read();
      if (value && this.storable(key, startedAt)) {
        this.store(key.sessionId, {
          tokenId: key.tokenId,
          userId: key.userId,
          value,
          forgetAtMs: Math.min(
            key.tokenExpiresAtMs,
            this.clock.nowMs() + CURRENT_SESSION_BACKSTOP_MS,
          ),
        });
      }
      return value;
    } finally {
      this.readsInFlight -= 1;
      if (this.readsInFlight === 0) this.invalidated.clear();
    }
  }

  invalidateUser(userId: string): void {
    this.epoch += 1;
    this.remember(`u:${userId}`);
    for (const [sessionId, entry] of this.entries)
      if (entry.userId === userId) this.entries.delete(sessionId);
  }

  invalidateSession(sessionId: string): void {
    this.epoch += 1;
    this.remember(`s:${sessionId}`);
    this.entries.delete(sessionId);
  }

  clear(): void {
    this.epoch += 1;
    this.floor = this.epoch;
    this.invalidated.clear();
    this.entries.clear();
  }

  private storable(key: { sessionId: string; userId: string }, startedAt: number): boolean {
    if (startedAt < this.floor) return false;
    const changed = Math.max(
      this.invalidated.get(`u:${key.userId}`) ?? 0,
      this.invalidated.get(`s:${key.sessionId}`) ?? 0,
    );
    return changed <= startedAt;
  }

  private remember(key: string): void {
    if (this.readsInFlight === 0) return; // no read can be affected
    if (this.invalidated.size >= INVALIDATIONS_MAX) {
      // Forget the details, refuse every read in flight instead.
      this.invalidated.clear();
      this.floor = this.epoch;
      return;
    }
    this.invalidated.set(key, this.epoch);
  }

  private store(sessionId: string, entry: Entry): void {
    this.entries.delete(sessionId);
    if (this.entries.size >= CURRENT_SESSION_CACHE_MAX) {
      // The oldest entry goes (Map keeps insertion order).
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(sessionId, entry);
  }
}
