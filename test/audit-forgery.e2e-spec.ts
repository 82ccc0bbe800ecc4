import { randomBytes } from 'node:crypto';
import {
  chainHash,
  checkpointMac,
  type HashedFields,
  keyedChainHash,
  keyedMarkerMac,
} from '../src/audit/audit-hash';
import type { AuditRecordRow } from '../src/audit/audit.repository';
import { AuditService, hashedFields } from '../src/audit/audit.service';
import { bearer, signedInUser } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

/** The one place this file obtains an admin session (the lead may re-point it, e.g. for MFA). */
async function adminAccessToken(t: TestApp): Promise<string> {
  return (await signedInAdmin(t)).accessToken;
}

type Link = (fields: HashedFields, prevHash: string) => string;
const plainSha256: Link = (fields, prev) => chainHash(fields, prev);
const guessedKey = randomBytes(32);
const guessedHmac: Link = (fields, prev) => keyedChainHash(guessedKey, fields, prev);

const TABLES = ['audit_records', 'audit_chain_head', 'audit_checkpoints'];

/**
 * The outside review's rewrite (issue 10), with write access to the database but without
 * AUDIT_HMAC_KEY_FILE: edit, recompute every following link, move the head, hide deleted rows
 * behind a forged checkpoint. Every variant must make /admin/audit/verify fail.
 */
describe('audit chain forgery without the key', () => {
  let t: TestApp;
  let audit: AuditService;
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    audit = t.app.get(AuditService);
    adminToken = await adminAccessToken(t);
    for (let i = 0; i < 3; i += 1) await signedInUser(t);
    await drainEvents(t);
    for (const table of TABLES) {
      await t.dataSource.query(`CREATE TABLE forge_saved_${table} AS SELECT * FROM ${table}`);
    }
  });
  afterEach(async () => {
    // Put back the genuine chain between attacks.
    for (const table of TABLES) {
      await t.dataSource.query(`DELETE FROM ${table}`);
      await t.dataSource.query(`INSERT INTO ${table} SELECT * FROM forge_saved_${table}`);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const verify = async (): Promise<{ ok: boolean; firstBrokenId: string | null }> =>
    (
      await t.http
        .get('/admin/audit/verify')
        .set(...bearer(adminToken))
        .expect(200)
    ).body;

  const rows = (): Promise<AuditRecordRow[]> =>
    t.dataSource.query(`SELECT * FROM audit_records ORDER BY seq`);

  /** Recomputes every link from `fromSeq` on with `link` and points the head at the result. */
  async function relink(link: Link, fromSeq: string, start?: string): Promise<void> {
    const all = await rows();
    let prev = start ?? all.find((r) => BigInt(r.seq) >= BigInt(fromSeq))!.prev_hash;
    for (const row of all.filter((r) => BigInt(r.seq) >= BigInt(fromSeq))) {
      const hash = link(hashedFields(row), prev);
      await t.dataSource.query(
        `UPDATE audit_records SET prev_hash = $2, hash = $3 WHERE seq = $1`,
        [row.seq, prev, hash],
      );
      prev = hash;
    }
    await t.dataSource.query(`UPDATE audit_chain_head SET last_hash = $1`, [prev]);
  }

  it('verifies the genuine chain', async () => {
    expect(await verify()).toMatchObject({ ok: true, firstBrokenId: null });
  });

  it.each([
    ['plain SHA-256', plainSha256],
    ['an HMAC with a guessed key', guessedHmac],
  ])('refuses an edited record re-linked with %s', async (_name, link) => {
    const all = await rows();
    const target = all[Math.floor(all.length / 2)];
    await t.dataSource.query(`UPDATE audit_records SET ip = '203.0.113.66' WHERE seq = $1`, [
      target.seq,
    ]);
    await relink(link, target.seq);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: target.event_id });
  });

  it('refuses a downgrade: boundary moved past the records and all re-linked with SHA-256', async () => {
    const all = await rows();
    await t.dataSource.query(
      `UPDATE audit_chain_head SET keyed_from_seq = $1, keyed_from_mac = $2`,
      [
        String(BigInt(all[all.length - 1].seq) + 1n),
        keyedMarkerMac(guessedKey, { keyedFromSeq: '999', keyedFromPrevHash: '0'.repeat(64) }),
      ],
    );
    await relink(plainSha256, all[0].seq);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: all[0].event_id });
  });

  it.each([
    ['no MAC', () => null],
    ['a MAC under a guessed key', checkpointMac.bind(null, guessedKey)],
  ])('refuses the oldest rows deleted behind a forged checkpoint with %s', async (_n, mac) => {
    const all = await rows();
    const lastDeleted = all[2];
    await t.dataSource.query(`DELETE FROM audit_records WHERE seq <= $1`, [lastDeleted.seq]);
    const checkpoint = {
      lastPurgedSeq: String(lastDeleted.seq),
      lastPurgedHash: lastDeleted.hash,
      purgedCount: 3,
    };
    await t.dataSource.query(
      `INSERT INTO audit_checkpoints (last_purged_seq, last_purged_hash, purged_count, created_at, mac)
       VALUES ($1, $2, $3, now(), $4)`,
      [checkpoint.lastPurgedSeq, checkpoint.lastPurgedHash, 3, mac(checkpoint)],
    );
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: all[3].event_id });
  });

  it('refuses an unkeyed checkpoint that claims to predate the keyed chain', async () => {
    const all = await rows();
    await t.dataSource.query(`DELETE FROM audit_records WHERE seq <= $1`, [all[2].seq]);
    // seq 0 lies before the boundary, so no MAC is required of it: the first keyed record must
    // then link to the sealed pre-boundary hash, which the deleted predecessor's hash is not.
    await t.dataSource.query(
      `INSERT INTO audit_checkpoints (last_purged_seq, last_purged_hash, purged_count, created_at)
       VALUES (0, $1, 3, now())`,
      [all[2].hash],
    );
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: all[3].event_id });
  });

  it('an anchor proves the newest rows were not removed (the head rewrite alone passes)', async () => {
    const anchor = await audit.anchor();
    if (!('mac' in anchor)) throw new Error('no anchor');
    expect(anchor.count).toBe((await rows()).length);
    expect(await audit.verifyAnchor(anchor)).toMatchObject({ ok: true, anchorProblem: null });

    const all = await rows();
    const kept = all[all.length - 3];
    await t.dataSource.query(`DELETE FROM audit_records WHERE seq > $1`, [kept.seq]);
    await t.dataSource.query(`UPDATE audit_chain_head SET last_hash = $1, last_event_id = $2`, [
      kept.hash,
      kept.event_id,
    ]);
    // Without the anchor, a truncated tail with a moved head is indistinguishable from a
    // shorter history: this is what the external anchor is for.
    expect((await verify()).ok).toBe(true);
    const result = await audit.verifyAnchor(anchor);
    expect(result.ok).toBe(false);
    expect(result.anchorProblem).toMatch(/anchored head .* is gone/);
  });

  it('an anchor detects a rewritten anchored head and a forged anchor', async () => {
    const anchor = await audit.anchor();
    if (!('mac' in anchor)) throw new Error('no anchor');
    expect(
      (await audit.verifyAnchor({ ...anchor, count: anchor.count - 1 })).anchorProblem,
    ).toMatch(/signature/);
    const all = await rows();
    await t.dataSource.query(`DELETE FROM audit_records WHERE seq = $1`, [all[1].seq]);
    await relink(guessedHmac, all[2].seq, all[0].hash);
    expect((await audit.verifyAnchor(anchor)).ok).toBe(false);
  });

  it('an anchor still holds after a legitimate purge behind a signed checkpoint', async () => {
    const anchor = await audit.anchor();
    if (!('mac' in anchor)) throw new Error('no anchor');
    t.clock.advance(t.config.auditRetentionMs + 86_400_000);
    await signedInUser(t);
    await drainEvents(t);
    expect(await audit.purge()).toBeGreaterThan(0);
    const [checkpoint] = await t.dataSource.query(`SELECT mac FROM audit_checkpoints`);
    expect(checkpoint.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(await audit.verifyAnchor(anchor)).toMatchObject({ ok: true, anchorProblem: null });
  });
});
