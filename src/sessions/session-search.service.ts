import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { encodeCursor, type Page } from '../common/keyset-cursor';
import { SessionRepository, type SessionSearchFilter } from './session.repository';
import { type SessionView, toSessionView } from './session-views';

export type { SessionSearchFilter };

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

/**
 * Read-only queries over every user's sessions, for administrators and operators. Newest first,
 * keyset-paginated on (created_at, id) so each page is an index range scan whatever the depth:
 * ix_sessions_created_id without filters, and the (filter column, created_at, id) indexes of
 * migration 1764000200000 with userId, status, deviceId or ip.
 */
@Injectable()
export class SessionSearchService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
  ) {}

  async searchSessions(
    filter: SessionSearchFilter,
    page: SessionSearchPage,
    currentSessionId?: string,
  ): Promise<Page<SessionView>> {
    const now = this.clock.now();
    const rows = await this.sessions.search(filter, page, now);
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => withEffectiveStatus(toSessionView(row, currentSessionId), now)),
      nextCursor:
        rows.length > page.limit && last ? encodeCursor([last.cursor_created, last.id]) : null,
    };
  }

  /** For an admin's user detail page. */
  async countsForUser(userId: string): Promise<SessionCounts> {
    const now = this.clock.now();
    const { active, total } = await this.sessions.countsForUser(userId, now);
    return { activeSessions: active, totalSessions: total };
  }

  async stats(): Promise<SessionStats> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - DAY_MS);
    const { active, created, ended, platforms } = await this.sessions.statsRows(now, since);
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
