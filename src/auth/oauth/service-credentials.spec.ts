import type { AppConfig } from '../../config/app-config';
import { ServiceCredentials } from './service-credentials';

const SECRET = 'a-feed-secret-of-thirty-two-chars!!';

function configWith(secret?: string): AppConfig {
  return {
    revocationFeed: secret === undefined ? undefined : { secret, heartbeatMs: 15_000 },
  } as AppConfig;
}

describe('ServiceCredentials', () => {
  it('recognises the feed secret as a bearer credential with the revocations scope', () => {
    const sut = new ServiceCredentials(configWith(SECRET));
    expect(sut.offers('revocations:read')).toBe(true);
    expect(sut.authenticate(`Bearer ${SECRET}`)).toEqual({
      clientId: 'revocation-feed',
      scopes: ['revocations:read'],
    });
  });

  it.each([
    undefined,
    '',
    SECRET,
    `Basic ${SECRET}`,
    `Bearer ${SECRET}x`,
    `Bearer ${SECRET.slice(1)}`,
  ])('refuses %p', (header) => {
    expect(new ServiceCredentials(configWith(SECRET)).authenticate(header)).toBeUndefined();
  });

  it('offers nothing and accepts nothing without a configured secret', () => {
    const sut = new ServiceCredentials(configWith(undefined));
    expect(sut.offers('revocations:read')).toBe(false);
    expect(sut.authenticate(`Bearer ${SECRET}`)).toBeUndefined();
  });
});
