import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UUID_PATTERN, decodeCursor } from '../common/keyset-cursor';
import { queryReturning } from '../database/query-returning';
import type { ExpiryReason, RevocationReason } from '../events/event-catalog';
import type { Tx } from '../events/transaction-runner.service';
import type { IssuedRefreshTokenKey } from './refresh-token-key';
import { SessionEntity, type SessionStatus } from './session.entity';
import { SESSION_ROW_SELECT, type SessionRow } from './session-views';
import { USER_VIEW_SELECT, type UserViewColumns } from '../users/user-view-columns';

/** What expiry decisions need of a session row. */
export interface DeadlineRow {
  id: string;
  user_id: string;
  device_id: string | null;
  expires_at: Date | string;
  idle_expires_at: Date | string;
  idle_timeout_seconds: number;
}

export interface EndedRow {
  id: string;
  user_id: string;
  device_id: string | null;
}

export interface RevokeFilter {
  sessionIds?: readonly string[];
  userId?: string;
  deviceId?: string;
  exceptSessionId?: string;
}

export interface SessionSearchFilter {
  userId?: string;
  /** `active` means live now: an active row past a deadline the sweeper has not reached is `expired`. */
  status?: SessionStatus;
  deviceId?: string;
  ip?: string;
  /** Sessions created at or after this instant. */
  from?: Date;
  /** Sessions created before this instant. */
  to?: Date;
}

export type SearchRow = SessionRow & { cursor_created: string };

export interface SessionStatsRows {
  active: Array<{ n: string }>;
  created: Array<{ n: string }>;
  ended: Array<{ status: string; end_reason: string | null; n: string }>;
  platforms: Array<{ platform: string; n: string }>;
}

/** created_at to the microsecond, so a cursor never skips or repeats rows created in one ms. */
const CURSOR_TIME_SQL = `to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const DEADLINE_COLUMNS =
  'id, user_id, device_id, expires_at, idle_expires_at, idle_timeout_seconds';
/** Live at $1: active and before both deadlines. */
const LIVE_AT = `status = 'active' AND expires_at > $1 AND idle_expires_at > $1`;

/** Builds a WHERE clause with numbered parameters. */
class Conditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(clause: string, ...values: unknown[]): void {
    let sql = clause;
    for (const value of values) {
      this.params.push(value);
      sql = sql.replace('?', `$${this.params.length}`);
    }
    this.clauses.push(sql);
  }

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  where(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/**
 * The sessions table. Listings join devices read-only for the device's name and platform
 * (sessions may depend on devices; the join avoids a query per row).
 */
@Injectable()
export class SessionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  build(tx: Tx, fields: Partial<SessionEntity>): SessionEntity {
    return tx.manager.create(SessionEntity, fields);
  }

  /**
   * A new session and its first refresh token (generation 0) in one statement. The session's id
   * is set by the caller. refresh_tokens belongs to this module too (refresh-token.repository.ts
   * has its other statements); the two inserts are one round trip at login.
   */
  async insertWithFirstToken(
    tx: Tx,
    session: SessionEntity,
    token: IssuedRefreshTokenKey,
  ): Promise<void> {
    await tx.manager.query(
      `WITH s AS (
         INSERT INTO sessions (id, user_id, device_id, status, remember_me, created_at, last_active_at,
                               idle_timeout_seconds, idle_expires_at, idle_sweep_at, expires_at, ip,
                               user_agent, refresh_generation, auth_time, amr, dpop_jkt)
              VALUES ($1, $2, $3, 'active', $4, $5, $5, $6, $7, $14, $8, $9, $10, 0, $5, $11::text[], $13)
           RETURNING id)
       INSERT INTO refresh_tokens (id, session_id, token_hash, generation, status, created_at)
            SELECT $15, id, $12, 0, 'active', $5 FROM s`,
      [
        session.id,
        session.userId,
        session.deviceId,
        session.rememberMe,
        session.createdAt,
        session.idleTimeoutSeconds,
        session.idleExpiresAt,
        session.expiresAt,
        session.ip,
        session.userAgent,
        session.amr,
        token.hash,
        session.dpopJkt,
        session.idleSweepAt,
        token.id,
      ],
    );
  }

  /** A user's active rows, least recently active first (the eviction order). */
  activeDeadlinesForUser(tx: Tx, userId: string): Promise<DeadlineRow[]> {
    return tx.manager.query<DeadlineRow[]>(
      `SELECT ${DEADLINE_COLUMNS} FROM sessions
        WHERE user_id = $1 AND status = 'active' ORDER BY last_active_at ASC, created_at ASC`,
      [userId],
    );
  }

  /**
   * Revokes the active sessions matching the filter and kills their refresh tokens; returns the
   * rows it ended.
   */
  revoke(
    tx: Tx,
    filter: RevokeFilter,
    reason: RevocationReason,
    actorId: string | null,
  ): Promise<EndedRow[]> {
    const where: string[] = [`status = 'active'`];
    const params: unknown[] = [tx.now(), reason, actorId];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.sessionIds) add('id = ANY(?::uuid[])', filter.sessionIds);
    if (filter.userId) add('user_id = ?', filter.userId);
    if (filter.deviceId) add('device_id = ?', filter.deviceId);
    if (filter.exceptSessionId) add('id <> ?', filter.exceptSessionId);
    if (params.length === 3) throw new Error('revoke needs a filter');
    // The sessions' refresh tokens die in the same statement (sessions locked first, then
    // their tokens: the lock order every path keeps), including a sealed grace successor.
    return queryReturning<EndedRow>(
      tx.manager,
      `WITH ended AS (
         UPDATE sessions SET status = 'revoked', ended_at = $1, end_reason = $2, ended_by = $3
          WHERE ${where.join(' AND ')} RETURNING id, user_id, device_id),
       tokens AS (
         UPDATE refresh_tokens t SET status = 'revoked', successor_sealed = NULL
           FROM ended WHERE t.session_id = ended.id AND t.status <> 'revoked')
       SELECT id, user_id, device_id FROM ended`,
      params,
    );
  }

  /** Marks sessions expired (only those still active); returns the rows it ended. */
  markExpired(tx: Tx, ids: readonly string[], reason: ExpiryReason): Promise<EndedRow[]> {
    return queryReturning<EndedRow>(
      tx.manager,
      `UPDATE sessions SET status = 'expired', ended_at = $2, end_reason = $3
        WHERE id = ANY($1::uuid[]) AND status = 'active' RETURNING id, user_id, device_id`,
      [ids, tx.now(), reason],
    );
  }

  async isActiveAndOwned(tx: Tx, sessionId: string, userId: string): Promise<boolean> {
    const rows: Array<{ id: string }> = await tx.manager.query(
      `SELECT id FROM sessions WHERE id = $1 AND user_id = $2 AND status = 'active'`,
      [sessionId, userId],
    );
    return rows.length > 0;
  }

  /** Locks the session row (always before its tokens: one lock order, no deadlocks). */
  /** Step-up: auth_time = now and amr gains `amr` (first-seen order kept); active rows only. */
  async markAuthenticated(
    tx: Tx,
    sessionId: string,
    now: Date,
    amr: readonly string[],
  ): Promise<SessionEntity | undefined> {
    const rows = await queryReturning<{ id: string }>(
      tx.manager,
      `UPDATE sessions SET auth_time = $2,
              amr = ARRAY(SELECT m FROM unnest(amr || $3::text[]) WITH ORDINALITY AS u(m, n)
                          GROUP BY m ORDER BY min(n))
        WHERE id = $1 AND status = 'active'
        RETURNING id`,
      [sessionId, now, [...amr]],
    );
    if (rows.length === 0) return undefined;
    return (await tx.manager.findOneBy(SessionEntity, { id: sessionId })) ?? undefined;
  }

  lockById(tx: Tx, sessionId: string): Promise<SessionEntity | null> {
    return tx.manager
      .getRepository(SessionEntity)
      .createQueryBuilder('s')
      .setLock('pessimistic_write')
      .where('s.id = :sessionId', { sessionId })
      .getOne();
  }

  async lockDeadline(
    tx: Tx,
    sessionId: string,
  ): Promise<(DeadlineRow & { status: string }) | undefined> {
    const [row] = await tx.manager.query<Array<DeadlineRow & { status: string }>>(
      `SELECT ${DEADLINE_COLUMNS}, status FROM sessions WHERE id = $1 FOR UPDATE`,
      [sessionId],
    );
    return row;
  }

  async update(tx: Tx, sessionId: string, fields: Partial<SessionEntity>): Promise<void> {
    await tx.manager.update(SessionEntity, { id: sessionId }, fields);
  }

  /**
   * Writes batched activity. Only moves forward, and never revives a session that ended or
   * passed its idle deadline.
   */
  async writeActivity(tx: Tx, ids: readonly string[], times: readonly string[]): Promise<void> {
    await tx.manager.query(
      `UPDATE sessions s
          SET last_active_at = v.t,
              idle_expires_at = LEAST(s.expires_at, v.t + make_interval(secs => s.idle_timeout_seconds))
              -- idle_sweep_at stays: the deadline only moves forward here, and an unchanged
              -- indexed column keeps the update HOT.
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, t)
        WHERE s.id = v.id AND s.status = 'active' AND s.last_active_at < v.t AND s.idle_expires_at > v.t
          -- Never wait on (or deadlock with) a refresh or revocation holding a row: a refresh
          -- writes fresher activity itself, and an ending session's activity no longer matters.
          AND s.id IN (SELECT id FROM sessions WHERE id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)`,
      [ids, times],
    );
  }

  /**
   * Active sessions that may be overdue, locked (SKIP LOCKED, so instances share the sweep).
   * The idle side is found by idle_sweep_at, a lower bound of idle_expires_at that activity
   * leaves alone (so activity writes stay HOT); reason null means the session was active since,
   * and its bound must be moved up (advanceIdleSweep).
   */
  claimDue(
    tx: Tx,
    now: Date,
    idleCutoff: Date,
    limit: number,
  ): Promise<Array<{ id: string; reason: ExpiryReason | null }>> {
    return tx.manager.query<Array<{ id: string; reason: ExpiryReason | null }>>(
      `SELECT id, CASE WHEN expires_at <= $1 THEN 'absolute'
                       WHEN idle_expires_at <= $2 THEN 'idle' END AS reason
         FROM sessions
        WHERE status = 'active' AND (expires_at <= $1 OR idle_sweep_at <= $2)
        LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED`,
      [now, idleCutoff],
    );
  }

  /** Moves the sweep bound of sessions found still live up to their current idle deadline. */
  async advanceIdleSweep(tx: Tx, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx.manager.query(
      `UPDATE sessions SET idle_sweep_at = idle_expires_at WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /** Deletes up to `limit` sessions that ended before `cutoff`; returns how many. */
  async deleteEndedBefore(tx: Tx, cutoff: Date, limit: number): Promise<number> {
    const deleted = await queryReturning<{ id: string }>(
      tx.manager,
      `DELETE FROM sessions WHERE id IN (
         SELECT id FROM sessions WHERE ended_at < $1 LIMIT ${Number(limit)} FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [cutoff],
    );
    return deleted.length;
  }

  endedSince(
    since: Date,
  ): Promise<Array<{ id: string; status: 'revoked' | 'expired'; ended_at: Date }>> {
    return this.dataSource.query(
      `SELECT id, status, ended_at FROM sessions WHERE ended_at IS NOT NULL AND ended_at > $1`,
      [since],
    );
  }

  listLiveForUser(userId: string, now: Date): Promise<SessionRow[]> {
    return this.dataSource.query(
      `SELECT ${SESSION_ROW_SELECT} FROM sessions s LEFT JOIN devices d ON d.id = s.device_id
        WHERE s.user_id = $1 AND s.status = 'active' AND s.expires_at > $2 AND s.idle_expires_at > $2
        ORDER BY s.last_active_at DESC, s.id LIMIT 200`,
      [userId, now],
    );
  }

  async findRow(sessionId: string): Promise<SessionRow | undefined> {
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT ${SESSION_ROW_SELECT} FROM sessions s LEFT JOIN devices d ON d.id = s.device_id WHERE s.id = $1`,
      [sessionId],
    );
    return rows[0];
  }

  /**
   * The caller's session with its device and its user, in one statement (GET /auth/me): the
   * users row is joined read-only, as devices is, so the route costs one round trip.
   */
  async findRowWithUser(
    sessionId: string,
    userId: string,
  ): Promise<(SessionRow & UserViewColumns & { idle_timeout_seconds: number }) | undefined> {
    const rows: Array<SessionRow & UserViewColumns & { idle_timeout_seconds: number }> =
      await this.dataSource.query(
        `SELECT ${SESSION_ROW_SELECT}, ${USER_VIEW_SELECT}, s.idle_timeout_seconds
         FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN devices d ON d.id = s.device_id
        WHERE s.id = $1 AND s.user_id = $2`,
        [sessionId, userId],
      );
    return rows[0];
  }

  /**
   * Newest first, keyset-paginated on (created_at, id) so each page is an index range scan:
   * ix_sessions_created_id without filters, and the (filter column, created_at, id) indexes of
   * migration 1764000200000 with userId, status, deviceId or ip. Returns up to limit + 1 rows.
   */
  search(
    filter: SessionSearchFilter,
    page: { limit: number; cursor?: string },
    now: Date,
  ): Promise<SearchRow[]> {
    const where = conditionsFor(filter, now);
    if (page.cursor) {
      const [createdAt, id] = decodeCursor(page.cursor, [CURSOR_TIME_PATTERN, UUID_PATTERN]);
      where.add('(s.created_at, s.id) < (?::timestamptz, ?::uuid)', createdAt, id);
    }
    const limit = where.param(page.limit + 1);
    return this.dataSource.query(
      `SELECT ${SESSION_ROW_SELECT}, ${CURSOR_TIME_SQL} AS cursor_created
         FROM sessions s LEFT JOIN devices d ON d.id = s.device_id
         ${where.where()}
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT ${limit}`,
      where.params,
    );
  }

  async countsForUser(userId: string, now: Date): Promise<{ active: number; total: number }> {
    const [row]: Array<{ active: string; total: string }> = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'active' AND expires_at > $2 AND idle_expires_at > $2) AS active,
              count(*) AS total
         FROM sessions WHERE user_id = $1`,
      [userId, now],
    );
    return { active: Number(row?.active ?? 0), total: Number(row?.total ?? 0) };
  }

  /** Each figure is one index-served aggregate (partial indexes on live and ended sessions). */
  async statsRows(now: Date, since: Date): Promise<SessionStatsRows> {
    const [active, created, ended, platforms] = await Promise.all([
      this.dataSource.query<Array<{ n: string }>>(
        `SELECT count(*) AS n FROM sessions WHERE ${LIVE_AT}`,
        [now],
      ),
      this.dataSource.query<Array<{ n: string }>>(
        `SELECT count(*) AS n FROM sessions WHERE created_at >= $1 AND created_at <= $2`,
        [since, now],
      ),
      this.dataSource.query<Array<{ status: string; end_reason: string | null; n: string }>>(
        `SELECT status, end_reason, count(*) AS n FROM sessions
          WHERE ended_at IS NOT NULL AND ended_at >= $1 AND ended_at <= $2
          GROUP BY status, end_reason`,
        [since, now],
      ),
      this.dataSource.query<Array<{ platform: string; n: string }>>(
        `SELECT coalesce(d.platform, 'unknown') AS platform, count(*) AS n
           FROM sessions s LEFT JOIN devices d ON d.id = s.device_id
          WHERE s.status = 'active' AND s.expires_at > $1 AND s.idle_expires_at > $1
          GROUP BY 1`,
        [now],
      ),
    ]);
    return { active, created, ended, platforms };
  }

  /** Sessions live now, by the database's clock (the metrics gauge). */
  async countLive(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM sessions WHERE status = 'active' AND expires_at > now() AND idle_expires_at > now()`,
    );
    return row.n;
  }

  /** A user's live sessions at `now`, counted by device. */
  async liveCountsByDevice(userId: string, now: Date): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<Array<{ device_id: string; n: string }>>(
      `SELECT device_id, count(*) AS n FROM sessions
        WHERE user_id = $2 AND device_id IS NOT NULL AND ${LIVE_AT}
        GROUP BY device_id`,
      [now, userId],
    );
    return new Map(rows.map((row) => [row.device_id, Number(row.n)]));
  }
}

function conditionsFor(filter: SessionSearchFilter, now: Date): Conditions {
  const where = new Conditions();
  if (filter.userId) where.add('s.user_id = ?', filter.userId);
  if (filter.deviceId) where.add('s.device_id = ?', filter.deviceId);
  if (filter.ip) where.add('s.ip = ?', filter.ip);
  if (filter.from) where.add('s.created_at >= ?', filter.from);
  if (filter.to) where.add('s.created_at < ?', filter.to);
  switch (filter.status) {
    case 'active':
      where.add(`s.status = 'active' AND s.expires_at > ? AND s.idle_expires_at > ?`, now, now);
      break;
    case 'expired':
      where.add(
        `(s.status = 'expired' OR (s.status = 'active' AND (s.expires_at <= ? OR s.idle_expires_at <= ?)))`,
        now,
        now,
      );
      break;
    case 'revoked':
      where.add(`s.status = 'revoked'`);
      break;
    case undefined:
      break;
  }
  return where;
}
