import { formatCursor, planFeedStart, REPLAY_OVERLAP_MS } from './revocation-feed-cursor';

const NOW = 1_800_000_000_000;
const HORIZON = 61 * 60_000;

describe('planFeedStart', () => {
  it('starts with a snapshot without a Last-Event-ID', () => {
    expect(planFeedStart(undefined, NOW, HORIZON)).toEqual({ kind: 'snapshot' });
  });

  it('replays from a little before a recent cursor (commit delay and clock skew)', () => {
    const cursor = formatCursor(NOW - 5_000);
    expect(planFeedStart(cursor, NOW, HORIZON)).toEqual({
      kind: 'replay',
      sinceMs: NOW - 5_000 - REPLAY_OVERLAP_MS,
    });
  });

  it('falls back to a snapshot when the cursor is older than the remembered endings', () => {
    expect(planFeedStart(formatCursor(NOW - HORIZON), NOW, HORIZON)).toEqual({
      kind: 'snapshot',
    });
  });

  it.each(['', 'abc', '-5', '1.5', '9'.repeat(16), formatCursor(NOW + 2 * REPLAY_OVERLAP_MS)])(
    'treats the malformed or future cursor %p as no cursor',
    (cursor) => {
      expect(planFeedStart(cursor, NOW, HORIZON)).toEqual({ kind: 'snapshot' });
    },
  );
});
