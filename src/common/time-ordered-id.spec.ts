import { timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it('is a version 7, RFC 9562 variant UUID carrying the given millisecond', () => {
    const id = timeOrderedId(0x0123_4567_89ab);
    expect(id).toMatch(/^01234567-89ab-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts by time as text (what a B-tree on uuid compares), and differs within one millisecond', () => {
    const earlier = timeOrderedId(1_764_000_000_000);
    const later = timeOrderedId(1_764_000_000_001);
    expect(earlier < later).toBe(true);
    const sameMs = new Set(Array.from({ length: 1000 }, () => timeOrderedId(1_764_000_000_000)));
    expect(sameMs.size).toBe(1000);
  });
});
