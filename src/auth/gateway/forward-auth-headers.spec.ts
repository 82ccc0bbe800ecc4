import type { AuthContext } from '../../common/auth-context';
import { forwardAuthHeaders } from './forward-auth-headers';

function authWith(overrides: Partial<AuthContext> = {}): AuthContext {
  return {
    userId: '6d3c1f0e-2b4a-4c59-9a1e-0f7b8c9d0e1f',
    sessionId: '0b9e8d7c-6a5b-4c3d-8e2f-1a0b9c8d7e6f',
    roles: ['user'],
    tokenId: 'jti',
    transport: 'bearer',
    tokenExpiresAt: new Date('2026-01-01T00:15:00Z'),
    authTime: new Date('2026-01-01T00:00:00Z'),
    amr: ['pwd'],
    ...overrides,
  };
}

describe('forwardAuthHeaders', () => {
  it('names the user, the session and the roles as a comma list', () => {
    const sut = forwardAuthHeaders(authWith({ roles: ['user', 'admin'] }));
    expect(sut).toEqual({
      'X-Auth-User-Id': '6d3c1f0e-2b4a-4c59-9a1e-0f7b8c9d0e1f',
      'X-Auth-Session-Id': '0b9e8d7c-6a5b-4c3d-8e2f-1a0b9c8d7e6f',
      'X-Auth-Roles': 'user,admin',
    });
  });

  it('sends an empty roles header for a user without roles', () => {
    expect(forwardAuthHeaders(authWith({ roles: [] }))['X-Auth-Roles']).toBe('');
  });
});
