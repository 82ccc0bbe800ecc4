import { hashToken, newOpaqueToken } from '../src/common/opaque-token';
import {
  newRefreshToken,
  type RefreshTokenKey,
  refreshTokenKey,
} from '../src/sessions/refresh-token-key';
import { keyMatch } from '../src/sessions/refresh-token.repository';
import { signedInUser } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

const ISSUED = /^([0-9a-f]{32})\.([\w-]{43})$/;

/** The dashed uuid of a token's 32 hex digits. */
function rowIdOf(token: string): string {
  const hex = ISSUED.exec(token)?.[1] ?? '';
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}

describe('refresh tokens carry their row id (split tokens)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Any replay is reuse, so a replay below shows which row the token was matched to.
    t = await createTestApp({ env: { REFRESH_REUSE_GRACE: '0s' } });
  });
  afterAll(async () => {
    await t.close();
  });

  const refresh = (refreshToken: string) => t.http.post('/auth/refresh').send({ refreshToken });

  it('issues `<row id>.<secret>`, the id being its active row, at login and at every rotation', async () => {
    const signedIn = await signedInUser(t);
    const rotated = (await refresh(signedIn.refreshToken).expect(200)).body;
    for (const token of [signedIn.refreshToken, rotated.refreshToken]) {
      expect(token).toMatch(ISSUED);
      const [row] = await t.dataSource.query(
        `SELECT session_id, token_hash, legacy_format FROM refresh_tokens WHERE id = $1`,
        [rowIdOf(token)],
      );
      expect(row).toEqual({
        session_id: signedIn.session.id,
        token_hash: hashToken(token),
        legacy_format: false,
      });
    }
  });

  it('a real id with a forged secret is refresh_token_invalid, and the session is untouched', async () => {
    const signedIn = await signedInUser(t);
    const [id] = signedIn.refreshToken.split('.');
    const forged = await refresh(`${id}.${newOpaqueToken()}`).expect(401);
    expect(forged.body.code).toBe('refresh_token_invalid');
    // Not taken for a reuse of the real token: that would have revoked the session.
    await refresh(signedIn.refreshToken).expect(200);
  });

  it('a token of the earlier id-less format still refreshes once, then is reuse', async () => {
    const signedIn = await signedInUser(t);
    // What a row written before the migration looks like: found by the hash of an id-less token.
    const legacy = newOpaqueToken();
    await t.dataSource.query(
      `UPDATE refresh_tokens SET token_hash = $2, legacy_format = true WHERE id = $1`,
      [rowIdOf(signedIn.refreshToken), hashToken(legacy)],
    );
    const rotated = await refresh(legacy).expect(200);
    expect(rotated.body.refreshToken).toMatch(ISSUED);
    const replay = await refresh(legacy).expect(401);
    expect(replay.body.code).toBe('refresh_token_reused');
  });

  it('finds an issued token by primary key and an id-less one through the legacy index', async () => {
    const plans = await t.dataSource.transaction(async (manager) => {
      // Tiny test tables make a sequential scan cheapest; forbid it to see the indexes apply.
      await manager.query(`SET LOCAL enable_seqscan = off`);
      const plan = async (sql: string, params: unknown[]): Promise<string> => {
        const rows: Array<{ 'QUERY PLAN': string }> = await manager.query(`EXPLAIN ${sql}`, params);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      };
      const lookup = (key: RefreshTokenKey): Promise<string> =>
        plan(`SELECT 1 FROM refresh_tokens t WHERE ${keyMatch('t', key)}`, [key.id, key.hash]);
      return {
        issued: await lookup(newRefreshToken().key),
        legacy: await lookup(refreshTokenKey(newOpaqueToken())),
      };
    });
    expect(plans.issued).toContain('pk_refresh_tokens');
    expect(plans.legacy).toContain('ux_refresh_tokens_legacy_hash');
  });
});
