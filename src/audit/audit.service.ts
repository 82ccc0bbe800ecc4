import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { chainHash, GENESIS_HASH } from './audit-hash';
import { decodeCursor, encodeCursor, type Page } from '../common/keyset-cursor';
import type { AuditEntry } from './audit-entry';
import type { AuditOutcome } from './audit-record.entity';

export interface AuditFilter {
  userId?: string;
  sessionId?: string;
  type?: string;
  from?: Date;
  to?: Date;
}

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

interface RecordRow {
  seq: string;
  event_id: string;
  type: string;
  occurred_at: Date | string;
  recorded_at: Date | string;
  user_id: string | null;
  actor_id: string | null;
  session_id: string | null;
  device_id: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

interface HeadRow {
  last_hash: string;
  last_event_id: string | null;
}

const BATCH = 1000;
const COLUMNS = `seq, event_id, type, occurred_at, recorded_at, user_id, actor_id, session_id, device_id,
  ip, user_agent, outcome, reason, data, prev_hash, hash`;

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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Appends one record unless its event id is already recorded (a replay after a crash, or the
   * same event handled by two instances). Returns whether a record was written.
   */
  async append(entry: AuditEntry): Promise<boolean> {
    return this.dataSource.transaction((manager) => this.appendIn(manager, entry));
  }

  private async appendIn(manager: EntityManager, entry: AuditEntry): Promise<boolean> {
    // The head lock serialises appends cluster-wide: each record links to the true predecessor.
    const head = await this.lockHead(manager);
    const [seen] = await manager.query<unknown[]>(
      `SELECT 1 FROM audit_records WHERE event_id = $1`,
      [entry.eventId],
    );
    if (seen) return false;
    const recordedAt = this.clock.now();
    const hash = chainHash({ ...entry, recordedAt }, head.last_hash);
    await manager.query(
      `INSERT INTO audit_records (event_id, type, occurred_at, recorded_at, user_id, actor_id, session_id,
         device_id, ip, user_agent, outcome, reason, data, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        entry.eventId,
        entry.type,
        entry.occurredAt,
        recordedAt,
        entry.userId,
        entry.actorId,
        entry.sessionId,
        entry.deviceId,
        entry.ip,
        entry.userAgent,
        entry.outcome,
        entry.reason,
        JSON.stringify(entry.data),
        head.last_hash,
        hash,
      ],
    );
    await manager.query(
      `UPDATE audit_chain_head SET last_hash = $1, last_event_id = $2, record_count = record_count + 1,
         updated_at = $3 WHERE id = 1`,
      [hash, entry.eventId, recordedAt],
    );
    return true;
  }

  private async lockHead(manager: EntityManager): Promise<HeadRow> {
    const select = `SELECT last_hash, last_event_id FROM audit_chain_head WHERE id = 1 FOR UPDATE`;
    let [head] = await manager.query<HeadRow[]>(select);
    if (!head) {
      // The migration seeds the row; recreate it if someone removed it (verify will then tell).
      await manager.query(
        `INSERT INTO audit_chain_head (id, last_hash) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
        [GENESIS_HASH],
      );
      [head] = await manager.query<HeadRow[]>(select);
    }
    return head;
  }

  /** Newest first, keyset-paginated by chain position. */
  async query(filter: AuditFilter, page: AuditPage): Promise<Page<AuditRecordView>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.userId) add('user_id = ?', filter.userId);
    if (filter.sessionId) add('session_id = ?', filter.sessionId);
    if (filter.type) add('type = ?', filter.type);
    if (filter.from) add('occurred_at >= ?', filter.from);
    if (filter.to) add('occurred_at < ?', filter.to);
    const after = page.cursor ? decodeCursor(page.cursor, [/^\d{1,19}$/])[0] : undefined;
    if (after) add('seq < ?', after);
    params.push(page.limit + 1);
    const rows = await this.dataSource.query<RecordRow[]>(
      `SELECT ${COLUMNS} FROM audit_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
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
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const [checkpoint] = await manager.query<Array<{ last_purged_hash: string }>>(
        `SELECT last_purged_hash FROM audit_checkpoints ORDER BY id DESC LIMIT 1`,
      );
      let expected = checkpoint?.last_purged_hash ?? GENESIS_HASH;
      let checked = 0;
      for await (const row of this.scan(manager, {})) {
        checked += 1;
        if (row.prev_hash !== expected || rowHash(row) !== row.hash) {
          return { ok: false, checked, firstBrokenId: row.event_id };
        }
        expected = row.hash;
      }
      const [head] = await manager.query<HeadRow[]>(
        `SELECT last_hash, last_event_id FROM audit_chain_head WHERE id = 1`,
      );
      if (!head || head.last_hash !== expected) {
        // The newest record(s) are gone: name the one the head says should be last.
        return { ok: false, checked, firstBrokenId: head?.last_event_id ?? null };
      }
      return { ok: true, checked, firstBrokenId: null };
    });
  }

  /** Records occurring in [from, to), oldest first, with their chain fields (JSON Lines export). */
  async *export(range: { from?: Date; to?: Date } = {}): AsyncGenerator<AuditExportRecord> {
    for await (const row of this.scan(this.dataSource.manager, range)) {
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

  private async *scan(
    runner: EntityManager,
    range: { from?: Date; to?: Date },
  ): AsyncGenerator<RecordRow> {
    let after = '0';
    for (;;) {
      const rows = await runner.query<RecordRow[]>(
        `SELECT ${COLUMNS} FROM audit_records
          WHERE seq > $1 AND ($2::timestamptz IS NULL OR occurred_at >= $2) AND ($3::timestamptz IS NULL OR occurred_at < $3)
          ORDER BY seq LIMIT ${BATCH}`,
        [after, range.from ?? null, range.to ?? null],
      );
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
      const batch = await this.dataSource.transaction((manager) =>
        this.purgeBatch(manager, retentionMs),
      );
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

  private async purgeBatch(
    manager: EntityManager,
    retentionMs: number,
  ): Promise<{ count: number; more: boolean }> {
    await this.lockHead(manager);
    const cutoff = new Date(this.clock.nowMs() - retentionMs);
    const rows = await manager.query<
      Array<{ seq: string; hash: string; occurred_at: Date | string }>
    >(`SELECT seq, hash, occurred_at FROM audit_records ORDER BY seq LIMIT ${BATCH}`);
    // Only a prefix of the chain may go; a record past the cutoff ends the batch.
    let count = 0;
    while (count < rows.length && new Date(rows[count].occurred_at) < cutoff) count += 1;
    if (count === 0) return { count: 0, more: false };
    const last = rows[count - 1];
    await manager.query(
      `INSERT INTO audit_checkpoints (last_purged_seq, last_purged_hash, purged_count, created_at) VALUES ($1, $2, $3, $4)`,
      [last.seq, last.hash, count, this.clock.now()],
    );
    await manager.query(`DELETE FROM audit_records WHERE seq <= $1`, [last.seq]);
    return { count, more: count === BATCH };
  }
}
