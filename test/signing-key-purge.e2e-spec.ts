/**
 * Retired signing keys are deleted once nothing they signed can verify anywhere: retired longer
 * than the longest token lifetime (SERVICE_TOKEN_TTL here, longer than ACCESS_TOKEN_TTL) plus the
 * JWKS cache max-age. Time moves by the ManualClock; the pruner is called as its hourly job would.
 */
import { KeyRotationService } from '../src/auth/tokens/key-rotation.service';
import { SigningKeyPruner } from '../src/auth/tokens/signing-key-pruner.service';
import { JWKS_MAX_AGE_SECONDS } from '../src/auth/tokens/signing-key-set';
import {
  KEY_RETIREMENT_LEEWAY_MS,
  SigningKeyStore,
} from '../src/auth/tokens/signing-key-store.service';
import { register } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

const MINUTE = 60_000;
const LONGEST_TTL_MS = 30 * MINUTE; // SERVICE_TOKEN_TTL, above ACCESS_TOKEN_TTL (15m)
const PURGE_DELAY_MS = LONGEST_TTL_MS + JWKS_MAX_AGE_SECONDS * 1000;

describe('signing keys: purging retired keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      generatedSigningKeys: true,
      env: {
        JWT_KEY_ACTIVATION_DELAY: '5m',
        ACCESS_TOKEN_TTL: '15m',
        SERVICE_TOKEN_TTL: '30m',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  async function storedKids(): Promise<string[]> {
    const rows = await t.dataSource.query<Array<{ kid: string }>>(
      'SELECT kid FROM signing_keys ORDER BY sign_from',
    );
    return rows.map((row) => row.kid);
  }

  async function jwksKids(): Promise<string[]> {
    const res = await t.http.get('/.well-known/jwks.json').expect(200);
    return (res.body.keys as Array<{ kid: string }>).map((key) => key.kid).sort();
  }

  it('keeps a retired key until the longest token lifetime plus the JWKS max-age have passed, never the active or next key', async () => {
    const rotation = t.app.get(KeyRotationService);
    const pruner = t.app.get(SigningKeyPruner);
    const store = t.app.get(SigningKeyStore);
    const { id: actorId } = await register(t);
    const first = store.activeKid() ?? '';

    const { key: second } = await rotation.rotate(actorId);
    const secondSignsAt = Date.parse(second.signFrom);
    const [firstView] = (await rotation.list()).filter((view) => view.kid === first);
    // Retired after the longest lifetime of any token it signs (service tokens here).
    const retireAt = secondSignsAt + LONGEST_TTL_MS + KEY_RETIREMENT_LEEWAY_MS;
    expect(Date.parse(firstView.retireAfter ?? '')).toBe(retireAt);

    // Still published up to its retirement; then out of the JWKS, but the row is kept.
    t.clock.set(retireAt);
    expect(await jwksKids()).toEqual([first, second.kid].sort());
    t.clock.set(retireAt + 1000);
    expect(await jwksKids()).toEqual([second.kid]);
    expect(await pruner.prune()).toBe(0);

    // Just before the bound: a third key is next, the second signs; nothing is purged.
    t.clock.set(retireAt + PURGE_DELAY_MS - 1000);
    const { key: third } = await rotation.rotate(actorId);
    expect(store.activeKid()).toBe(second.kid);
    expect(await pruner.prune()).toBe(0);
    expect(await storedKids()).toEqual([first, second.kid, third.kid]);

    // Past it: only the retired key goes; the active and the next key stay, and sign/publish.
    t.clock.set(retireAt + PURGE_DELAY_MS + 1000);
    expect(await pruner.prune()).toBe(1);
    expect(await storedKids()).toEqual([second.kid, third.kid]);
    expect(await pruner.prune()).toBe(0);
    expect(store.activeKid()).toBe(second.kid);
    expect(await jwksKids()).toEqual([second.kid, third.kid].sort());
    expect((await rotation.list()).map((view) => view.kid)).toEqual([third.kid, second.kid]);

    // Audited, with the cutoff.
    await t.flushEvents();
    const audit = await t.dataSource.query<
      Array<{ data: { kids: string[]; retiredBefore: string } }>
    >(`SELECT data FROM audit_records WHERE type = 'keys.purged'`);
    expect(audit.map((row) => row.data)).toEqual([
      { kids: [first], retiredBefore: new Date(retireAt + 1000).toISOString() },
    ]);
  });
});
