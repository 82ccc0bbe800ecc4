import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Tx } from '../events/transaction-runner.service';
import type { AuditEntry } from './audit-entry';
import type { AuditOutcome } from './audit-record.entity';

export interface AuditFilter {
  userId?: string;
  sessionId?: string;
  type?: string;
  from?: Date;
  to?: Date;
}

export interface AuditRecordRow {
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

export interface ChainHeadRow {
  last_hash: string;
  last_event_id: string | null;
  keyed_from_seq: string | null;
  keyed_from_prev_hash: string | null;
  keyed_from_mac: string | null;
}

export interface CheckpointRow {
  last_purged_seq: string;
  last_purged_hash: string;
  purged_count: number;
  mac: string | null;
}

const COLUMNS = `seq, event_id, type, occurred_at, recorded_at, user_id, actor_id, session_id, device_id,
  ip, user_agent, outcome, reason, data, prev_hash, hash`;
const HEAD_SELECT = `SELECT last_hash, last_event_id, keyed_from_seq::text AS keyed_from_seq,
  keyed_from_prev_hash, keyed_from_mac FROM audit_chain_head WHERE id = 1`;
const CHECKPOINT_COLUMNS = `last_purged_seq::text AS last_purged_seq, last_purged_hash, purged_count, mac`;

/** audit_records, audit_chain_head and audit_checkpoints. */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The chain head, locked: serialises appends and purges cluster-wide. */
  async lockHead(tx: Tx): Promise<ChainHeadRow | undefined> {
    const [head] = await tx.manager.query<ChainHeadRow[]>(`${HEAD_SELECT} FOR UPDATE`);
    return head;
  }

  async seedHead(tx: Tx, genesisHash: string): Promise<void> {
    await tx.manager.query(
      `INSERT INTO audit_chain_head (id, last_hash) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
      [genesisHash],
    );
  }

  async readHead(tx?: Tx): Promise<ChainHeadRow | undefined> {
    const [head] = await this.runner(tx).query<ChainHeadRow[]>(HEAD_SELECT);
    return head;
  }

  async hasEvent(tx: Tx, eventId: string): Promise<boolean> {
    const rows = await tx.manager.query<unknown[]>(
      `SELECT 1 FROM audit_records WHERE event_id = $1`,
      [eventId],
    );
    return rows.length > 0;
  }

  async insert(
    tx: Tx,
    entry: AuditEntry,
    recordedAt: Date,
    prevHash: string,
    hash: string,
  ): Promise<void> {
    await tx.manager.query(
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
        prevHash,
        hash,
      ],
    );
  }

  async advanceHead(tx: Tx, hash: string, eventId: string, at: Date): Promise<void> {
    await tx.manager.query(
      `UPDATE audit_chain_head SET last_hash = $1, last_event_id = $2, record_count = record_count + 1,
         updated_at = $3 WHERE id = 1`,
      [hash, eventId, at],
    );
  }

  /** Newest first by chain position; returns up to `limit` rows. */
  search(
    filter: AuditFilter,
    beforeSeq: string | undefined,
    limit: number,
  ): Promise<AuditRecordRow[]> {
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
    if (beforeSeq) add('seq < ?', beforeSeq);
    params.push(limit);
    return this.dataSource.query<AuditRecordRow[]>(
      `SELECT ${COLUMNS} FROM audit_records ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
  }

  /** Seals the keyed-chain boundary once; a sealed boundary is never rewritten. */
  async sealKeyedMarker(tx: Tx, mac: string): Promise<void> {
    await tx.manager.query(
      `UPDATE audit_chain_head SET keyed_from_mac = $1 WHERE id = 1 AND keyed_from_mac IS NULL`,
      [mac],
    );
  }

  async latestCheckpoint(tx?: Tx): Promise<CheckpointRow | undefined> {
    const [checkpoint] = await this.runner(tx).query<CheckpointRow[]>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY id DESC LIMIT 1`,
    );
    return checkpoint;
  }

  checkpoints(tx?: Tx): Promise<CheckpointRow[]> {
    return this.runner(tx).query<CheckpointRow[]>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY id`,
    );
  }

  async recordAt(seq: string, tx?: Tx): Promise<AuditRecordRow | undefined> {
    const [row] = await this.runner(tx).query<AuditRecordRow[]>(
      `SELECT ${COLUMNS} FROM audit_records WHERE seq = $1`,
      [seq],
    );
    return row;
  }

  /** How many records remain up to and including `seq`. */
  async countThrough(seq: string, tx?: Tx): Promise<number> {
    const [row] = await this.runner(tx).query<Array<{ n: string }>>(
      `SELECT count(*)::text AS n FROM audit_records WHERE seq <= $1`,
      [seq],
    );
    return Number(row?.n ?? 0);
  }

  /** The newest record's position (the chain's head), if any record remains. */
  async newestSeq(tx?: Tx): Promise<string | undefined> {
    const [row] = await this.runner(tx).query<Array<{ seq: string | null }>>(
      `SELECT max(seq)::text AS seq FROM audit_records`,
    );
    return row?.seq ?? undefined;
  }

  /** Records after `afterSeq` in chain order, optionally within [from, to) of occurrence. */
  pageAfter(
    afterSeq: string,
    range: { from?: Date; to?: Date },
    limit: number,
    tx?: Tx,
  ): Promise<AuditRecordRow[]> {
    return this.runner(tx).query<AuditRecordRow[]>(
      `SELECT ${COLUMNS} FROM audit_records
        WHERE seq > $1 AND ($2::timestamptz IS NULL OR occurred_at >= $2) AND ($3::timestamptz IS NULL OR occurred_at < $3)
        ORDER BY seq LIMIT ${Number(limit)}`,
      [afterSeq, range.from ?? null, range.to ?? null],
    );
  }

  oldest(
    tx: Tx,
    limit: number,
  ): Promise<Array<{ seq: string; hash: string; occurred_at: Date | string }>> {
    return tx.manager.query(
      `SELECT seq, hash, occurred_at FROM audit_records ORDER BY seq LIMIT ${Number(limit)}`,
    );
  }

  async insertCheckpoint(
    tx: Tx,
    last: { seq: string; hash: string },
    count: number,
    at: Date,
    mac: string,
  ): Promise<void> {
    await tx.manager.query(
      `INSERT INTO audit_checkpoints (last_purged_seq, last_purged_hash, purged_count, created_at, mac)
       VALUES ($1, $2, $3, $4, $5)`,
      [last.seq, last.hash, count, at, mac],
    );
  }

  async deleteThrough(tx: Tx, seq: string): Promise<void> {
    await tx.manager.query(`DELETE FROM audit_records WHERE seq <= $1`, [seq]);
  }

  private runner(tx?: Tx): EntityManager {
    return tx?.manager ?? this.dataSource.manager;
  }
}
