import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ACCESS_TOKEN_TTL_MAX_MS } from '../config/app-config';
import { ClusterBus, type SessionEndedMessage } from '../events/cluster-bus';
import type { Tx } from '../events/transaction-runner.service';
import type { EndedSessions } from '../live/ended-sessions';
import { SessionRepository } from './session.repository';
import { describeError } from '../common/describe-error';

export type EndedStatus = 'revoked' | 'expired';

/** One ending as the view knows it; the revocation feed streams these to other services. */
export interface SessionEnding {
  sessionId: string;
  status: EndedStatus;
  endedAtMs: number;
}

interface Entry {
  status: EndedStatus;
  /** After this instant no access token of the session can still be valid: forget it. */
  forgetAtMs: number;
}

/** Leeway past the access-token lifetime, for clock skew between instances. */
const LEEWAY_MS = 60_000;
/**
 * How long an ending stays visible: the longest lifetime any access token can have been issued
 * with (the ACCESS_TOKEN_TTL maximum, not today's setting: a restart with a shorter TTL must not
 * forget a revocation while tokens issued under the longer one still verify), plus leeway. The
 * verifier refuses tokens whose exp − iat exceeds that maximum, so nothing outlives this.
 */
export const REVOCATION_HORIZON_MS = ACCESS_TOKEN_TTL_MAX_MS + LEEWAY_MS;
/**
 * How far back each reconciliation re-reads: ended_at is stamped when the ending transaction
 * runs, not when it commits, so an ending committed a little late still falls in the window.
 */
export const RECONCILE_OVERLAP_MS = 10_000;

/**
 * The in-memory set of sessions that ended recently: the guard consults it on every request
 * instead of the database. It holds only what can still matter (endings younger than the
 * access-token lifetime), is rebuilt from the database at start and after a lost bus
 * connection, and learns of new endings through the cluster bus.
 */
@Injectable()
export class RevocationView implements OnApplicationBootstrap, EndedSessions {
  private readonly logger = new Logger(RevocationView.name);
  private readonly ended = new Map<string, Entry>();
  private readonly horizonMs = REVOCATION_HORIZON_MS;
  private lastPruneMs = 0;
  private readonly listeners = new Set<(ending: SessionEnding) => void>();
  /** Endings at or before this instant have been read from the database (minus the overlap). */
  private watermarkMs = 0;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
  ) {
    bus.subscribe('session_ended', (message) => this.applyMessage(message));
    bus.onResync(() => {
      this.reload().catch((error: unknown) =>
        this.logger.error(`resync failed: ${describeError(error)}`),
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
  }

  get size(): number {
    return this.ended.size;
  }

  /** The status of a session that ended recently, or undefined. No I/O. */
  statusOf(sessionId: string): EndedStatus | undefined {
    const entry = this.ended.get(sessionId);
    return entry && entry.forgetAtMs > this.clock.nowMs() ? entry.status : undefined;
  }

  /** Endings still remembered whose ended_at is after `sinceMs`. No I/O. */
  endedSince(sinceMs: number): SessionEnding[] {
    const now = this.clock.nowMs();
    const endings: SessionEnding[] = [];
    for (const [sessionId, entry] of this.ended) {
      const endedAtMs = entry.forgetAtMs - this.horizonMs;
      if (entry.forgetAtMs > now && endedAtMs > sinceMs)
        endings.push({ sessionId, status: entry.status, endedAtMs });
    }
    return endings;
  }

  /**
   * Calls `listener` for each session the view learns has ended (bus message, reconciliation or
   * reload), once per session. Returns the unsubscribe function.
   */
  onEnded(listener: (ending: SessionEnding) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Marks sessions as ended here now and on every instance once the transaction commits. */
  async announce(tx: Tx, sessionIds: readonly string[], status: EndedStatus): Promise<void> {
    if (sessionIds.length === 0) return;
    const endedAtMs = tx.now().getTime();
    // NOTIFY payloads are limited to 8000 bytes: send large batches in chunks.
    for (let i = 0; i < sessionIds.length; i += 150) {
      const chunk = sessionIds.slice(i, i + 150);
      await this.bus.publishOnCommit(tx, 'session_ended', { s: status, t: endedAtMs, ids: chunk });
    }
  }

  /** Rebuilds the view from the database; returns the number of entries. */
  async reload(): Promise<number> {
    const startedMs = this.clock.nowMs();
    const since = new Date(startedMs - this.horizonMs);
    const rows = await this.sessions.endedSince(since);
    this.watermarkMs = Math.max(this.watermarkMs, startedMs);
    for (const row of rows) this.add(row.id, row.status, new Date(row.ended_at).getTime());
    this.prune();
    return rows.length;
  }

  /**
   * The backstop for a lost bus message (a failed Redis publish, a half-open LISTEN socket):
   * reads the sessions ended since the last look, minus an overlap, through the partial index on
   * ended_at. Run every REVOCATION_RECONCILE_INTERVAL by RevocationReconciler. Returns how many
   * endings were read.
   */
  async reconcile(): Promise<number> {
    if (this.watermarkMs === 0) return this.reload();
    const startedMs = this.clock.nowMs();
    const rows = await this.sessions.endedSince(new Date(this.watermarkMs - RECONCILE_OVERLAP_MS));
    for (const row of rows) this.add(row.id, row.status, new Date(row.ended_at).getTime());
    this.watermarkMs = Math.max(this.watermarkMs, startedMs);
    this.prune();
    return rows.length;
  }

  private applyMessage(message: SessionEndedMessage): void {
    for (const id of message.ids) this.add(id, message.s, message.t);
    this.prune();
  }

  private add(sessionId: string, status: EndedStatus, endedAtMs: number): void {
    const known = this.ended.has(sessionId);
    this.ended.set(sessionId, { status, forgetAtMs: endedAtMs + this.horizonMs });
    if (!known) for (const listener of this.listeners) listener({ sessionId, status, endedAtMs });
  }

  /** Drops entries that can no longer matter; cheap enough to run at most once a second. */
  private prune(): void {
    const now = this.clock.nowMs();
    if (now - this.lastPruneMs < 1000) return;
    this.lastPruneMs = now;
    for (const [id, entry] of this.ended) if (entry.forgetAtMs <= now) this.ended.delete(id);
  }
}
