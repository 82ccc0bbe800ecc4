import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { chainHash, GENESIS_HASH } from './audit-hash';
import { decodeCursor, encodeCursor, type Page } from '../common/keyset-cursor';
import type { AuditEntry } from './audit-entry';
import type { AuditOutcome } from './audit-record.entity';
import {
  type AuditFilter,
  type AuditRecordRow,
  AuditRepository,
  type ChainHeadRow,
} from './audit.repository';

export type { AuditFilter };

export interface AuditPage {
  limit: number;
  cursor?: string;
}

/** An audit record as the API shows it; `id` is the lifecycle event id. */
export interface AuditRecordView {
  id: string;
  type: string;
  occurredAt: string;
  userId: string | null;
  actorId: string | null;
  sessionId: string | null;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  data: Record<string, unknown>;
}

/** An exported record: the view plus what an offline verifier needs to re-check the chain. */
export interface AuditExportRecord extends AuditRecordView {
  seq: string;
  recordedAt: string;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first record whose hash or link does not hold (or the missing newest record), else null. */
  firstBrokenId: string | null;
}

type RecordRow = AuditRecordRow;
type HeadRow = ChainHeadRow;

const BATCH = 1000;
const iso = (value: Date | string): string => new Date(value).toISOString();

function toView(row: RecordRow): AuditRecordView {
  return {
    id: row.event_id,
    type: row.type,
    occurredAt: iso(row.occurred_at),
    userId: row.user_id,
    actorId: row.actor_id,
    sessionId: row.session_id,
    deviceId: row.device_id,
    ip: row.ip,
    userAgent: row.user_agent,
    outcome: row.outcome,
    reason: row.reason,
    data: row.data,
  };
}

function rowHash(row: RecordRow): string {
  return chainHash(
    {
      eventId: row.event_id,
      type: row.type,
      occurredAt: new Date(row.occurred_at),
      recordedAt: new Date(row.recorded_at),
      userId: row.user_id,
      actorId: row.actor_id,
      sessionId: row.session_id,
      deviceId: row.device_id,
      ip: row.ip,
      userAgent: row.user_agent,
      outcome: row.outcome,
      reason: row.reason,
      data: row.data,
    },
    row.prev_hash,
  );
}

/**
 * The append-only, hash-chained audit log: append (idempotent by event id), query, verify,
 * export and retention. Exported for the CLI (`audit:verify`, `audit:export`, `audit:purge`).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly records: AuditRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Appends one record unless its event id is already recorded (a replay after a crash, or the
   * same event handled by two instances). Returns whether a record was written.
   */
  async append(entry: AuditEntry): Promise<boolean> {
    return this.transactions.run((tx) => this.appendIn(tx, entry));
  }

  private async appendIn(tx: Tx, entry: AuditEntry): Promise<boolean> {
    // The head lock serialises appends cluster-wide: each record links to the true predecessor.
    const head = await this.lockHead(tx);
    if (await this.records.hasEvent(tx, entry.eventId)) return false;
    const recordedAt = this.clock.now();
    const hash = chainHash({ ...entry, recordedAt }, head.last_hash);
    await this.records.insert(tx, entry, recordedAt, head.last_hash, hash);
    await this.records.advanceHead(tx, hash, entry.eventId, recordedAt);
    return true;
  }

  private async lockHead(tx: Tx): Promise<HeadRow> {
    const head = await this.records.lockHead(tx);
    if (head) return head;
    // The migration seeds the row; recreate it if someone removed it (verify will then tell).
    await this.records.seedHead(tx, GENESIS_HASH);
    const seeded = await this.records.lockHead(tx);
    if (!seeded) throw new Error('audit chain head missing');
    return seeded;
  }

  /** Newest first, keyset-paginated by chain position. */
  async search(filter: AuditFilter, page: AuditPage): Promise<Page<AuditRecordView>> {
    const after = page.cursor ? decodeCursor(page.cursor, [/^\d{1,19}$/])[0] : undefined;
    const rows = await this.records.search(filter, after, page.limit + 1);
    const items = rows.slice(0, page.limit);
    const nextCursor =
      rows.length > page.limit ? encodeCursor([items[items.length - 1].seq]) : null;
    return { items: items.map(toView), nextCursor };
  }

  /**
   * Re-computes every hash and link from the latest checkpoint (or genesis) to the head, in one
   * consistent snapshot so concurrent appends and purges cannot cause false alarms.
   */
  async verify(): Promise<AuditVerification> {
    return this.transactions.run(
      async (tx) => {
        let expected = (await this.records.latestCheckpointHash(tx)) ?? GENESIS_HASH;
        let checked = 0;
        for await (const row of this.scan({}, tx)) {
          checked += 1;
          if (row.prev_hash !== expected || rowHash(row) !== row.hash) {
            return { ok: false, checked, firstBrokenId: row.event_id };
          }
          expected = row.hash;
        }
        const head = await this.records.readHead(tx);
        if (!head || head.last_hash !== expected) {
          // The newest record(s) are gone: name the one the head says should be last.
          return { ok: false, checked, firstBrokenId: head?.last_event_id ?? null };
        }
        return { ok: true, checked, firstBrokenId: null };
      },
      { isolation: 'REPEATABLE READ' },
    );
  }

  /** Records occurring in [from, to), oldest first, with their chain fields (JSON Lines export). */
  async *export(range: { from?: Date; to?: Date } = {}): AsyncGenerator<AuditExportRecord> {
    for await (const row of this.scan(range)) {
      yield {
        seq: row.seq,
        ...toView(row),
        recordedAt: iso(row.recorded_at),
        prevHash: row.prev_hash,
        hash: row.hash,
      };
    }
  }

  /** The export as JSON Lines, one record per line (newline-terminated). */
  async *exportJsonLines(range: { from?: Date; to?: Date } = {}): AsyncGenerator<string> {
    for await (const record of this.export(range)) yield `${JSON.stringify(record)}\n`;
  }

  private async *scan(range: { from?: Date; to?: Date }, tx?: Tx): AsyncGenerator<RecordRow> {
    let after = '0';
    for (;;) {
      const rows = await this.records.pageAfter(after, range, BATCH, tx);
      for (const row of rows) yield row;
      if (rows.length < BATCH) return;
      after = rows[rows.length - 1].seq;
    }
  }

  /**
   * Deletes records older than the retention period, oldest first, in batches. Before each
   * batch is deleted a checkpoint seals the hash of its last record, so the remaining chain
   * still verifies from that anchor. The purge itself is then recorded. Returns the count.
   */
  async purge(retentionMs = this.config.auditRetentionMs): Promise<number> {
    let total = 0;
    for (;;) {
      const batch = await this.transactions.run((tx) => this.purgeBatch(tx, retentionMs));
      total += batch.count;
      if (!batch.more) break;
    }
    if (total > 0) {
      await this.append({
        eventId: randomUUID(),
        type: 'audit.purged',
        occurredAt: this.clock.now(),
        userId: null,
        actorId: null,
        sessionId: null,
        deviceId: null,
        ip: null,
        userAgent: null,
        outcome: 'success',
        reason: 'retention',
        data: { purged: total, retentionDays: Math.round(retentionMs / 86_400_000) },
      });
    }
    return total;
  }

  private async purgeBatch(tx: Tx, retentionMs: number): Promise<{ count: number; more: boolean }> {
    await this.lockHead(tx);
    const cutoff = new Date(this.clock.nowMs() - retentionMs);
    const rows = await this.records.oldest(tx, BATCH);
    // Only a prefix of the chain may go; a record past the cutoff ends the batch.
    let count = 0;
    while (count < rows.length && new Date(rows[count].occurred_at) < cutoff) count += 1;
    if (count === 0) return { count: 0, more: false };
    const last = rows[count - 1];
    await this.records.insertCheckpoint(tx, last, count, this.clock.now());
    await this.records.deleteThrough(tx, last.seq);
    return { count, more: count === BATCH };
  }
}
