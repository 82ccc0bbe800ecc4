import { randomBytes, randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ManualClock } from '../../common/clock';
import { DPOP_NONCE_WINDOW_MS, DpopNonces } from './dpop-nonces';
import { accessTokenHash, DpopProofVerifier, type ProofExpectation } from './dpop-proof.verifier';
import { LocalReplayStore } from './dpop-replay-cache';

const URL = 'https://auth.example.test/auth/refresh';

describe('DpopProofVerifier', () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const nonces = new DpopNonces(randomBytes(32), clock);
  const sut = new DpopProofVerifier(clock, 60_000, nonces);
  let privateKey: CryptoKey;
  let jwk: JWK;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    jwk = await exportJWK(pair.publicKey);
  });

  const expectation = (overrides: Partial<ProofExpectation> = {}): ProofExpectation => ({
    method: 'POST',
    url: URL,
    nonceRequired: true,
    ...overrides,
  });

  function sign(
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
  ): Promise<string> {
    return new SignJWT({
      htm: 'POST',
      htu: URL,
      jti: randomUUID(),
      nonce: nonces.issue(),
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header })
      .setIssuedAt(Math.floor(clock.nowMs() / 1000))
      .sign(privateKey);
  }

  it('accepts a sound proof and names its key thumbprint', async () => {
    const result = await sut.verify(await sign(), expectation());
    expect(result).toMatchObject({
      ok: true,
      proof: { jkt: expect.stringMatching(/^[\w-]{43}$/) },
    });
  });

  it('ignores the query and fragment of htu', async () => {
    const result = await sut.verify(await sign({ htu: `${URL}?a=1#f` }), expectation());
    expect(result.ok).toBe(true);
  });

  it.each([
    ['wrong htm', { htm: 'GET' }],
    ['wrong htu', { htu: 'https://other.example/auth/refresh' }],
    ['no jti', { jti: undefined }],
  ])('refuses a proof with %s', async (_name, claims) => {
    const result = await sut.verify(await sign(claims), expectation());
    expect(result).toMatchObject({ ok: false, code: 'invalid_dpop_proof' });
  });

  it('refuses another typ, a symmetric alg, and a private key in the header', async () => {
    expect(await sut.verify(await sign({}, { typ: 'JWT' }), expectation())).toMatchObject({
      ok: false,
    });
    const hs = await new SignJWT({ htm: 'POST', htu: URL, jti: randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt' })
      .setIssuedAt()
      .sign(randomBytes(32));
    expect(await sut.verify(hs, expectation())).toMatchObject({ ok: false });
    const { privateKey: other } = await generateKeyPair('ES256', { extractable: true });
    const withPrivate = await sign({}, { jwk: await exportJWK(other) });
    expect(await sut.verify(withPrivate, expectation())).toMatchObject({ ok: false });
  });

  it('refuses an iat outside the leeway either way, by the injected clock', async () => {
    const proof = await sign();
    clock.advance(61_000);
    expect(await sut.verify(proof, expectation({ nonceRequired: false }))).toMatchObject({
      ok: false,
      code: 'invalid_dpop_proof',
    });
    clock.advance(-122_000);
    expect(await sut.verify(proof, expectation({ nonceRequired: false }))).toMatchObject({
      ok: false,
      code: 'invalid_dpop_proof',
    });
    clock.advance(61_000);
  });

  it('checks ath against the access token at resource routes', async () => {
    const ath = accessTokenHash('a.b.c');
    expect((await sut.verify(await sign({ ath }), expectation({ accessToken: 'a.b.c' }))).ok).toBe(
      true,
    );
    expect(
      await sut.verify(await sign({ ath }), expectation({ accessToken: 'a.b.d' })),
    ).toMatchObject({ ok: false, code: 'invalid_dpop_proof' });
  });

  it('asks for a nonce when it is missing, forged or stale', async () => {
    for (const nonce of [undefined, 'forged.nonce']) {
      expect(await sut.verify(await sign({ nonce }), expectation())).toMatchObject({
        ok: false,
        code: 'use_dpop_nonce',
      });
    }
    const old = nonces.issue();
    clock.advance(2 * DPOP_NONCE_WINDOW_MS);
    expect(await sut.verify(await sign({ nonce: old }), expectation())).toMatchObject({
      ok: false,
      code: 'use_dpop_nonce',
    });
  });
});

describe('LocalReplayStore', () => {
  it('accepts a key once within its lifetime', async () => {
    const store = new LocalReplayStore();
    expect(await store.firstUse('k', 1000, 0)).toBe(true);
    expect(await store.firstUse('k', 1000, 999)).toBe(false);
    expect(await store.firstUse('k', 1000, 1000)).toBe(true);
  });
});
