import { loadConfig } from '../../config/app-config';
import { endpointUrl } from './endpoint-url';

describe('endpointUrl', () => {
  it('puts endpoints under the derived issuer (PUBLIC_URL, path kept)', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://example.com/auth/' });
    expect(endpointUrl(config, '/oauth/token')).toBe('https://example.com/auth/oauth/token');
  });

  it('puts them under an explicit http(s) JWT_ISSUER, without a doubled slash', () => {
    const config = loadConfig({
      JWT_ISSUER: 'https://id.example.com/',
      PUBLIC_URL: 'http://10.0.0.5:3000',
    });
    expect(endpointUrl(config, '/oauth/revoke')).toBe('https://id.example.com/oauth/revoke');
  });

  it('falls back to PUBLIC_URL for a name-only issuer (a legacy JWT_ISSUER=tessera)', () => {
    const config = loadConfig({ JWT_ISSUER: 'tessera', PUBLIC_URL: 'https://auth.example.com' });
    expect(endpointUrl(config, '/.well-known/jwks.json')).toBe(
      'https://auth.example.com/.well-known/jwks.json',
    );
  });
});
