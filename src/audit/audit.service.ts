import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import {
  type AnchorFields,
  anchorMac,
  chainHash,
  checkpointMac,
  GENESIS_HASH,
  type HashedFields,
  keyedChainHash,
  keyedMarkerMac,
  macEquals,
} from './audit-hash';
import { AuditKey } from './audit-key';
import { decodeCursor, encodeCursor, type Page } from '../common/keyset-cursor';
import type { AuditEntry } from './audit-entry';
import type { AuditOutcome } from './audit-record.entity';
import {
  type AuditFilter,
  type AuditRecordRow,
  AuditRepository,
  type ChainHeadRow,
  type CheckpointRow,
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

/** A signed statement of the chain's length and head, kept outside the database. */
export interface AuditAnchor extends AnchorFields {
  mac: string;
}

export interface AnchorVerification extends AuditVerification {
  /** Why the anchor does not hold, when the chain itself verifies but the anchor does not. */
  anchorProblem: string | null;
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

/** The fields of a stored record that its chain link covers. */
export function hashedFields(row: RecordRow): HashedFields {
  return {
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
  };
}

const seqAtLeast = (seq: string, boundary: string): boolean => BigInt(seq) >= BigInt(boundary);

/**
 * The append-only, hash-chained audit log: append (idempotent by event id), query, verify,
 * export and retention. Exported for the CLI (`audit:verify`, `audit:export`, `audit:purge`).
 */
@Injectable()
export class AuditService implements OnModuleInit {
  private readonly logger = new Logger(AuditService.name);

  constructor(
    private readonly records: AuditRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly auditKey: AuditKey,
  ) {}

  /**
   * Seals the keyed-chain boundary the migration recorded (it has no key). Only an unsealed
   * boundary is sealed: from then on, moving it fails verification. Residual risk, documented in
   * docs/security.md: whoever clears the seal before the next start gets it re-sealed; the
   * external anchor (audit:anchor) catches a chain rewritten that way.
   */
  async onModuleInit(): Promise<void> {
    try {
      await this.transactions.run(async (tx) => {
        const head = await this.records.lockHead(tx);
        if (!head || head.keyed_from_mac || head.keyed_from_seq === null) return;
        const marker = {
          keyedFromSeq: head.keyed_from_seq,
          keyedFromPrevHash: head.keyed_from_prev_hash ?? GENESIS_HASH,
        };
        await this.records.sealKeyedMarker(tx, keyedMarkerMac(this.auditKey.key, marker));
        this.logger.log(`audit chain keyed from record ${marker.keyedFromSeq} (boundary sealed)`);
      });
    } catch (error) {
      // A database not yet migrated (migrations off): verification will report the missing seal.
      this.logger.warn(`audit chain boundary not sealed: ${(error as Error).message}`);
    }
  }

  private rowHash(row: RecordRow, keyed: boolean): string {
    return keyed
      ? keyedChainHash(this.auditKey.key, hashedFields(row), row.prev_hash)
      : chainHash(hashedFields(row), row.prev_hash);
  }

  private markerValid(head: HeadRow | undefined): head is HeadRow & { keyed_from_seq: string } {
    if (!head?.keyed_from_seq || !head.keyed_from_mac || !head.keyed_from_prev_hash) return false;
    const mac = keyedMarkerMac(this.auditKey.key, {
      keyedFromSeq: head.keyed_from_seq,
      keyedFromPrevHash: head.keyed_from_prev_hash,
    });
    return macEquals(mac, head.keyed_from_mac);
  }

  private checkpointValid(checkpoint: CheckpointRow, keyedFromSeq: string): boolean {
    if (checkpoint.mac === null) return !seqAtLeast(checkpoint.last_purged_seq, keyedFromSeq);
    const mac = checkpointMac(this.auditKey.key, {
      lastPurgedSeq: String(checkpoint.last_purged_seq),
      lastPurgedHash: checkpoint.last_purged_hash,
      purgedCount: Number(checkpoint.purged_count),
    });
    return macEquals(mac, checkpoint.mac);
  }

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
    // Records are keyed from the boundary on; the boundary lies before every new record.
    const hash = keyedChainHash(this.auditKey.key, { ...entry, recordedAt }, head.last_hash);
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
   * Re-computes every link from the latest checkpoint (or genesis) to the head, in one consistent
   * snapshot so concurrent appends and purges cannot cause false alarms. Records from the sealed
   * boundary on must carry the keyed (HMAC) link; a checkpoint past it must carry a valid MAC.
   */
  async verify(): Promise<AuditVerification> {
    return this.transactions.run((tx) => this.verifyIn(tx), { isolation: 'REPEATABLE READ' });
  }

  private async verifyIn(tx: Tx): Promise<AuditVerification> {
    const head = await this.records.readHead(tx);
    const broken = async (checked: number, row?: RecordRow): Promise<AuditVerification> => ({
      ok: false,
      checked,
      firstBrokenId:
        row?.event_id ??
        (await this.records.pageAfter('0', {}, 1, tx))[0]?.event_id ??
        head?.last_event_id ??
        null,
    });
    if (!this.markerValid(head)) return broken(0);
    const boundary = head.keyed_from_seq;
    const checkpoint = await this.records.latestCheckpoint(tx);
    if (checkpoint && !this.checkpointValid(checkpoint, boundary)) return broken(0);
    let expected = checkpoint?.last_purged_hash ?? GENESIS_HASH;
    let inKeyedPart = checkpoint ? seqAtLeast(checkpoint.last_purged_seq, boundary) : false;
    let checked = 0;
    for await (const row of this.scan({}, tx)) {
      checked += 1;
      const keyed = seqAtLeast(row.seq, boundary);
      // Entering the keyed part: the first keyed record links to the sealed pre-boundary hash,
      // so a forged unkeyed checkpoint cannot hide deleted keyed records.
      if (keyed && !inKeyedPart && row.prev_hash !== head.keyed_from_prev_hash) {
        return broken(checked, row);
      }
      inKeyedPart ||= keyed;
      if (row.prev_hash !== expected || this.rowHash(row, keyed) !== row.hash) {
        return broken(checked, row);
      }
      expected = row.hash;
    }
    if (head.last_hash !== expected) {
      // The newest record(s) are gone: name the one the head says should be last.
      return { ok: false, checked, firstBrokenId: head.last_event_id ?? null };
    }
    return { ok: true, checked, firstBrokenId: null };
  }

  /**
   * An anchor for the current head, signed with the audit key (`audit:anchor`). Refused when the
   * chain does not verify: an anchor vouches only for an intact chain.
   */
  async anchor(): Promise<AuditAnchor | AuditVerification> {
    return this.transactions.run(
      async (tx) => {
        const verification = await this.verifyIn(tx);
        if (!verification.ok) return verification;
        const head = await this.records.readHead(tx);
        const headSeq =
          (await this.records.newestSeq(tx)) ??
          (await this.records.latestCheckpoint(tx))?.last_purged_seq ??
          '0';
        const fields: AnchorFields = {
          count: await this.countThrough(headSeq, tx),
          headSeq: String(headSeq),
          headId: head?.last_event_id ?? null,
          headHash: head?.last_hash ?? GENESIS_HASH,
          at: this.clock.now().toISOString(),
          kid: this.auditKey.kid,
        };
        return { ...fields, mac: anchorMac(this.auditKey.key, fields) };
      },
      { isolation: 'REPEATABLE READ' },
    );
  }

  /** Every record up to `seq`: those still present plus those purged behind checkpoints. */
  private async countThrough(seq: string, tx: Tx): Promise<number> {
    const purged = (await this.records.checkpoints(tx)).reduce(
      (sum, c) => sum + Number(c.purged_count),
      0,
    );
    return purged + (await this.records.countThrough(seq, tx));
  }

  /**
   * Checks the chain and then an anchor made earlier: the anchored head must still be there with
   * the same hash (or purged behind a valid checkpoint), and no record before it may be missing.
   */
  async verifyAnchor(anchor: AuditAnchor): Promise<AnchorVerification> {
    return this.transactions.run(
      async (tx) => {
        const chain = await this.verifyIn(tx);
        const problem = chain.ok ? await this.anchorProblem(anchor, tx) : null;
        return { ...chain, ok: chain.ok && problem === null, anchorProblem: problem };
      },
      { isolation: 'REPEATABLE READ' },
    );
  }

  private async anchorProblem(anchor: AuditAnchor, tx: Tx): Promise<string | null> {
    const { mac, ...fields } = anchor;
    if (fields.kid !== this.auditKey.kid)
      return `the anchor was signed with another key (${fields.kid})`;
    if (!macEquals(anchorMac(this.auditKey.key, fields), mac))
      return 'the anchor signature does not verify';
    const head = await this.records.readHead(tx);
    if (!this.markerValid(head)) return 'the keyed-chain boundary is not sealed';
    const checkpoints = await this.records.checkpoints(tx);
    if (checkpoints.some((c) => !this.checkpointValid(c, head.keyed_from_seq))) {
      return 'a purge checkpoint does not verify';
    }
    const purgedThrough = checkpoints.reduce(
      (max, c) => (BigInt(c.last_purged_seq) > max ? BigInt(c.last_purged_seq) : max),
      0n,
    );
    const record = await this.records.recordAt(anchor.headSeq, tx);
    if (record) {
      if (record.hash !== anchor.headHash || record.event_id !== anchor.headId) {
        return `the anchored head (record ${anchor.headSeq}) was rewritten`;
      }
    } else if (BigInt(anchor.headSeq) > purgedThrough && anchor.count > 0) {
      return `the anchored head (record ${anchor.headSeq}) is gone`;
    }
    const count = await this.countThrough(anchor.headSeq, tx);
    // Once purges pass the anchored head, purged counts include later records too.
    const exact = BigInt(anchor.headSeq) >= purgedThrough;
    if (exact ? count !== anchor.count : count < anchor.count) {
      return `records up to the anchored head are missing (${count} of ${anchor.count})`;
    }
    return null;
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
    const mac = checkpointMac(this.auditKey.key, {
      lastPurgedSeq: String(last.seq),
      lastPurgedHash: last.hash,
      purgedCount: count,
    });
    await this.records.insertCheckpoint(tx, last, count, this.clock.now(), mac);
    await this.records.deleteThrough(tx, last.seq);
    return { count, more: count === BATCH };
  }
}
