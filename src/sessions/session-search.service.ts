import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { decodeCursor, encodeCursor, type Page, UUID_PATTERN } from '../common/keyset-cursor';
import type { SessionStatus } from './session.entity';
import {
  SESSION_ROW_SELECT,
  type SessionRow,
  type SessionView,
  toSessionView,
} from './session-views';

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

export interface SessionSearchPage {
  /** 1–200. */
  limit: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}

export interface SessionCounts {
  activeSessions: number;
  totalSessions: number;
}

export interface SessionStats {
  generatedAt: string;
  /** Start of the 24-hour window of the `last24h` and `revokedByReason` figures. */
  since: string;
  activeNow: number;
  last24h: { created: number; revoked: number; expired: number };
  /** Live sessions by the platform of their device ('unknown' without one). */
  activeByPlatform: Record<string, number>;
  /** Sessions revoked in the last 24 hours, by revocation reason. */
  revokedByReason: Record<string, number>;
}

const DAY_MS = 86_400_000;
/** created_at to the microsecond, so a cursor never skips or repeats rows created in one ms. */
const CURSOR_TIME_SQL = `to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const CURSOR_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

type SearchRow = SessionRow & { cursor_created: string };

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
 * Read-only queries over every user's sessions, for administrators and operators. Newest first,
 * keyset-paginated on (created_at, id) so each page is an index range scan whatever the depth:
 * ix_sessions_created_id without filters, and the (filter column, created_at, id) indexes of
 * migration 1764000200000 with userId, status, deviceId or ip.
 */
@Injectable()
export class SessionSearchService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async searchSessions(
    filter: SessionSearchFilter,
    page: SessionSearchPage,
    currentSessionId?: string,
  ): Promise<Page<SessionView>> {
    const now = this.clock.now();
    const where = this.conditionsFor(filter, now);
    if (page.cursor) {
      const [createdAt, id] = decodeCursor(page.cursor, [CURSOR_TIME_PATTERN, UUID_PATTERN]);
      where.add('(s.created_at, s.id) < (?::timestamptz, ?::uuid)', createdAt, id);
    }
    const limit = where.param(page.limit + 1);
    const rows: SearchRow[] = await this.dataSource.query(
      `SELECT ${SESSION_ROW_SELECT}, ${CURSOR_TIME_SQL} AS cursor_created
         FROM sessions s LEFT JOIN devices d ON d.id = s.device_id
         ${where.where()}
        ORDER BY s.created_at DESC, s.id DESC
        LIMIT ${limit}`,
      where.params,
    );
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => withEffectiveStatus(toSessionView(row, currentSessionId), now)),
      nextCursor:
        rows.length > page.limit && last ? encodeCursor([last.cursor_created, last.id]) : null,
    };
  }

  private conditionsFor(filter: SessionSearchFilter, now: Date): Conditions {
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

  /** For an admin's user detail page. */
  async countsForUser(userId: string): Promise<SessionCounts> {
    const now = this.clock.now();
    const [row]: Array<{ active: string; total: string }> = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'active' AND expires_at > $2 AND idle_expires_at > $2) AS active,
              count(*) AS total
         FROM sessions WHERE user_id = $1`,
      [userId, now],
    );
    return { activeSessions: Number(row?.active ?? 0), totalSessions: Number(row?.total ?? 0) };
  }

  /** Each figure is one index-served aggregate (partial indexes on live and ended sessions). */
  async stats(): Promise<SessionStats> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - DAY_MS);
    const [active, created, ended, platforms] = await Promise.all([
      this.dataSource.query<Array<{ n: string }>>(
        `SELECT count(*) AS n FROM sessions
          WHERE status = 'active' AND expires_at > $1 AND idle_expires_at > $1`,
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
    const revoked = ended.filter((row) => row.status === 'revoked');
    const sum = (rows: Array<{ n: string }>): number =>
      rows.reduce((total, row) => total + Number(row.n), 0);
    return {
      generatedAt: now.toISOString(),
      since: since.toISOString(),
      activeNow: sum(active),
      last24h: {
        created: sum(created),
        revoked: sum(revoked),
        expired: sum(ended.filter((row) => row.status === 'expired')),
      },
      activeByPlatform: Object.fromEntries(platforms.map((row) => [row.platform, Number(row.n)])),
      revokedByReason: tally(revoked.map((row) => [row.end_reason ?? 'unknown', Number(row.n)])),
    };
  }
}

function tally(entries: Array<[string, number]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of entries) out[key] = (out[key] ?? 0) + n;
  return out;
}

/** An active row past a deadline is reported as expired: the sweeper just has not reached it. */
function withEffectiveStatus(view: SessionView, now: Date): SessionView {
  const iso = now.toISOString();
  if (view.status !== 'active' || (view.expiresAt > iso && view.idleExpiresAt > iso)) return view;
  return { ...view, status: 'expired' };
}
