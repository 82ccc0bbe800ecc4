/**
 * Where a revocation-feed connection starts. The cursor (the SSE `id:`) is an ended_at instant
 * in milliseconds: every instance orders endings by the same database timestamp, so a subscriber
 * can resume on any instance, not only the one that gave it the cursor.
 */
export type FeedStart = { kind: 'snapshot' } | { kind: 'replay'; sinceMs: number };

/**
 * Replays reach this far behind the cursor: ended_at is stamped when the ending transaction
 * runs, not when it commits (RECONCILE_OVERLAP_MS, 10 s), and instances' clocks differ a little.
 * Resending a few endings twice is harmless: subscribers keep a set.
 */
export const REPLAY_OVERLAP_MS = 60_000;

const CURSOR_PATTERN = /^\d{1,15}$/;

export function formatCursor(ms: number): string {
  return String(Math.max(0, Math.floor(ms)));
}

/**
 * A replay after `Last-Event-ID` when it is recent enough for the remembered endings to cover
 * everything the subscriber may have missed; a full snapshot otherwise (absent, malformed, from
 * the future, or older than the horizon).
 */
export function planFeedStart(
  lastEventId: string | undefined,
  nowMs: number,
  horizonMs: number,
): FeedStart {
  if (lastEventId === undefined || !CURSOR_PATTERN.test(lastEventId)) return { kind: 'snapshot' };
  const cursorMs = Number(lastEventId);
  const sinceMs = cursorMs - REPLAY_OVERLAP_MS;
  if (cursorMs > nowMs + REPLAY_OVERLAP_MS || sinceMs <= nowMs - horizonMs) {
    return { kind: 'snapshot' };
  }
  return { kind: 'replay', sinceMs };
}
