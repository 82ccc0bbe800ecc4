import { createLocalJWKSet, jwtVerify } from 'jose';
import { ManualClock } from '../common/clock';
import { JwtSigner } from '../auth/tokens/jwt-signer';
import type { SigningKeyStore } from '../auth/tokens/signing-key-store.service';
import { generatePrivateKeyPemSync, signingKeyFromPem } from '../auth/tokens/signing-keys';
import { SESSION_REVOKED, securityEventFor } from './caep-events';
import { buildSetClaims, SET_TYPE } from './set-claims';

describe('SET claims and signing', () => {
  const key = signingKeyFromPem(generatePrivateKeyPemSync('ES256'), 'ES256');
  const signer = new JwtSigner({ active: key } as unknown as SigningKeyStore);
  const clock = new ManualClock(Date.UTC(2026, 10, 26, 18));
  const event = securityEventFor(
    {
      id: 'e-1',
      type: 'session.revoked',
      occurredAt: clock.now().toISOString(),
      userId: 'u-1',
      sessionId: 's-1',
      data: { reason: 'admin' },
    },
    'https://auth.example.com',
  );
  if (!event) throw new Error('expected a CAEP event');

  const claims = buildSetClaims({
    issuer: 'https://auth.example.com',
    audience: 'receiver-1',
    jti: 'jti-1',
    issuedAt: clock.now(),
    event,
  });

  it('holds iss, aud, iat, jti, sub_id and one event; no sub and no exp', () => {
    expect(claims).toEqual({
      iss: 'https://auth.example.com',
      aud: 'receiver-1',
      iat: clock.nowMs() / 1000,
      jti: 'jti-1',
      sub_id: event.subId,
      events: { [SESSION_REVOKED]: event.payload },
    });
    expect(claims).not.toHaveProperty('sub');
    expect(claims).not.toHaveProperty('exp');
  });

  it('is signed as secevent+jwt with the active key: verifiable with the JWKS, typ pinned', async () => {
    const token = signer.sign(SET_TYPE, claims);
    const jwks = createLocalJWKSet({ keys: [key.publicJwk] });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      typ: 'secevent+jwt',
      issuer: 'https://auth.example.com',
      audience: 'receiver-1',
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'secevent+jwt', kid: key.kid });
    expect(payload).toEqual(claims);
    await expect(jwtVerify(token, jwks, { typ: 'at+jwt' })).rejects.toThrow();
  });
});
