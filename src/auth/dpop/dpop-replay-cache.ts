import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import type { DpopProofJtiRepository } from './dpop-proof-jti.repository';

/** Where proofs are remembered: first use wins, later uses of the same key+jti are replays. */
export interface ReplayStore {
  /** True when (key, jti) was not seen before; remembers it for `ttlMs`. */
  firstUse(keyHash: string, ttlMs: number, nowMs: number): Promise<boolean>;
  close?(): Promise<void>;
}

/** The replay key: the key thumbprint and the jti together (jti is unique per key only). */
export function replayKey(jkt: string, jti: string): string {
  return createHash('sha256').update(`${jkt}\u0000${jti}`).digest('hex');
}

// ~100 bytes per entry: about 10 MB at most.
const LOCAL_LIMIT = 100_000;

/** Per instance, in memory: no I/O, for resource routes (see docs/architecture.md, DPoP). */
export class LocalReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();

  firstUse(keyHash: string, ttlMs: number, nowMs: number): Promise<boolean> {
    const until = this.seen.get(keyHash);
    if (until !== undefined && until > nowMs) return Promise.resolve(false);
    if (this.seen.size >= LOCAL_LIMIT) this.evict(nowMs);
    this.seen.set(keyHash, nowMs + ttlMs);
    return Promise.resolve(true);
  }

  /** Drops expired entries; if none were, the oldest (insertion order) goes. */
  private evict(nowMs: number): void {
    for (const [key, until] of this.seen) if (until <= nowMs) this.seen.delete(key);
    if (this.seen.size >= LOCAL_LIMIT) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}

/** Shared by every instance: SET NX PX, one round trip. */
export class RedisReplayStore implements ReplayStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    private readonly prefix = 'tessera:dpop:jti:',
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
  }

  async firstUse(keyHash: string, ttlMs: number): Promise<boolean> {
    const set = await this.redis.set(`${this.prefix}${keyHash}`, '1', 'PX', ttlMs, 'NX');
    return set === 'OK';
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}

// Expired rows are deleted every this many inserts: no timer, and the table stays small.
const PRUNE_EVERY = 200;

/** Shared by every instance without Redis: a unique key in PostgreSQL. */
export class DatabaseReplayStore implements ReplayStore {
  private inserts = 0;

  constructor(private readonly jtis: DpopProofJtiRepository) {}

  async firstUse(keyHash: string, ttlMs: number, nowMs: number): Promise<boolean> {
    if (++this.inserts % PRUNE_EVERY === 0) await this.jtis.deleteExpired(new Date(nowMs));
    return this.jtis.insertIfNew(keyHash, new Date(nowMs + ttlMs));
  }
}
