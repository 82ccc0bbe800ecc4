import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['900', 900_000],
    ['900s', 900_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['30d', 2_592_000_000],
    ['250ms', 250],
    [' 2M ', 120_000],
  ])('parses %p', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['banana', '', '-5m', '1.5h', '15 minutes', '10w', '99999999999999999d'])(
    'rejects %p',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('formats back to the largest exact unit', () => {
    expect(formatDuration(900_000)).toBe('15m');
    expect(formatDuration(2_592_000_000)).toBe('30d');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
