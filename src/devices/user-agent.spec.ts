import { isDrasticUserAgentChange, parseUserAgent } from './user-agent';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const IPHONE_NEWER =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const WINDOWS_CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('parseUserAgent', () => {
  it('names OS and browser', () => {
    expect(parseUserAgent(IPHONE)).toMatchObject({
      os: 'iOS 17.0',
      browser: 'Mobile Safari 17',
      deviceType: 'mobile',
      label: 'Mobile Safari on iOS',
    });
    expect(parseUserAgent(WINDOWS_CHROME)).toMatchObject({
      os: 'Windows 10',
      browser: 'Chrome 131',
    });
  });

  it('copes with no user agent', () => {
    expect(parseUserAgent(undefined)).toEqual({
      os: null,
      browser: null,
      deviceType: null,
      label: 'Unknown device',
    });
  });
});

describe('isDrasticUserAgentChange', () => {
  it('ignores version upgrades', () => {
    expect(isDrasticUserAgentChange(IPHONE, IPHONE_NEWER)).toBe(false);
  });
  it('flags another OS or browser family', () => {
    expect(isDrasticUserAgentChange(IPHONE, WINDOWS_CHROME)).toBe(true);
  });
  it('does not judge when either side is unknown', () => {
    expect(isDrasticUserAgentChange(null, WINDOWS_CHROME)).toBe(false);
    expect(isDrasticUserAgentChange(IPHONE, undefined)).toBe(false);
  });
});
