import { Injectable } from '@nestjs/common';
import { clientNetworkKey } from './client-network';
import { Clock } from './clock';
import type { ErrorCode } from './error-codes';

/** The refusals worth auditing, counted per minute rather than recorded one by one. */
const DENIED_KINDS = [
  'forbidden',
  'csrf_failed',
  'token_invalid',
  'rate_limited',
  // Service clients: wrong client credentials, and a client reaching beyond its scopes.
  'invalid_client',
  'insufficient_scope',
] as const;
export type DeniedKind = (typeof DENIED_KINDS)[number];

const KINDS = new Set<string>(DENIED_KINDS);
export const DENIAL_WINDOW_MS = 60_000;
/** Bounds memory under a flood from many networks; beyond it, counts go to network "other". */
const MAX_KEYS = 10_000;

export interface DenialCount {
  kind: DeniedKind;
  network: string;
  windowStart: Date;
  count: number;
}

/**
 * Counts refused requests (403 forbidden and csrf_failed, 401 token_invalid, 429 rate_limited)
 * per minute per (kind, client network), in memory. The audit module's flusher turns each
 * finished minute into one `security.denied` event per key: a flood costs one record per key
 * per minute, never one per request.
 */
@Injectable()
export class SecurityDenials {
  private readonly counts = new Map<string, DenialCount>();

  constructor(private readonly clock: Clock) {}

  /** Counts a refusal if its code is one of the audited kinds. */
  note(code: ErrorCode, ip: string | undefined): void {
    if (!KINDS.has(code)) return;
    const windowMs = Math.floor(this.clock.nowMs() / DENIAL_WINDOW_MS) * DENIAL_WINDOW_MS;
    let network = clientNetworkKey(ip).slice(0, 64);
    let key = `${code}|${network}|${windowMs}`;
    if (!this.counts.has(key) && this.counts.size >= MAX_KEYS) {
      network = 'other';
      key = `${code}|${network}|${windowMs}`;
    }
    const entry = this.counts.get(key);
    if (entry) entry.count += 1;
    else
      this.counts.set(key, {
        kind: code as DeniedKind,
        network,
        windowStart: new Date(windowMs),
        count: 1,
      });
  }

  /** Removes and returns the counts of finished minutes (all of them with `all`, at shutdown). */
  take(all = false): DenialCount[] {
    const current = Math.floor(this.clock.nowMs() / DENIAL_WINDOW_MS) * DENIAL_WINDOW_MS;
    const done: DenialCount[] = [];
    for (const [key, entry] of this.counts) {
      if (all || entry.windowStart.getTime() < current) {
        done.push(entry);
        this.counts.delete(key);
      }
    }
    return done;
  }

  /** Puts counts back after a failed write, merging with anything counted meanwhile. */
  restore(entries: readonly DenialCount[]): void {
    for (const entry of entries) {
      const key = `${entry.kind}|${entry.network}|${entry.windowStart.getTime()}`;
      const existing = this.counts.get(key);
      if (existing) existing.count += entry.count;
      else this.counts.set(key, { ...entry });
    }
  }
}
