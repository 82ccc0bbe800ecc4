import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  anchorMac,
  checkpointMac,
  chainHash,
  GENESIS_HASH,
  type HashedFields,
  keyedChainHash,
  macEquals,
} from './audit-hash';
import { AuditKeyError, auditKeyId, decodeAuditKey, loadAuditKey } from './audit-key-store';

const record: HashedFields = {
  eventId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  type: 'session.revoked',
  occurredAt: new Date('2030-01-01T00:00:00.000Z'),
  recordedAt: new Date('2030-01-01T00:00:01.000Z'),
  userId: null,
  actorId: null,
  sessionId: null,
  deviceId: null,
  ip: '127.0.0.1',
  userAgent: null,
  outcome: 'success',
  reason: 'logout',
  data: { reason: 'logout' },
};

describe('keyed audit chain', () => {
  const key = randomBytes(32);

  it('cannot be recomputed without the key (the reviewer recomputed SHA-256 links)', () => {
    const keyed = keyedChainHash(key, record, GENESIS_HASH);
    expect(keyed).toMatch(/^[0-9a-f]{64}$/);
    expect(keyed).not.toBe(chainHash(record, GENESIS_HASH));
    expect(keyedChainHash(randomBytes(32), record, GENESIS_HASH)).not.toBe(keyed);
    expect(keyedChainHash(key, record, GENESIS_HASH)).toBe(keyed);
  });

  it('covers every field and the previous link', () => {
    const keyed = keyedChainHash(key, record, GENESIS_HASH);
    expect(keyedChainHash(key, { ...record, reason: 'admin' }, GENESIS_HASH)).not.toBe(keyed);
    expect(keyedChainHash(key, record, 'f'.repeat(64))).not.toBe(keyed);
  });

  it('signs checkpoints and anchors; a forged one does not verify', () => {
    const checkpoint = { lastPurgedSeq: '120', lastPurgedHash: 'a'.repeat(64), purgedCount: 120 };
    const mac = checkpointMac(key, checkpoint);
    expect(macEquals(mac, checkpointMac(key, checkpoint))).toBe(true);
    expect(macEquals(mac, checkpointMac(key, { ...checkpoint, purgedCount: 119 }))).toBe(false);
    expect(macEquals(mac, checkpointMac(randomBytes(32), checkpoint))).toBe(false);
    const anchor = {
      count: 5,
      headSeq: '5',
      headId: null,
      headHash: 'b'.repeat(64),
      at: '2030-01-01T00:00:00Z',
      kid: 'k',
    };
    expect(anchorMac(key, anchor)).not.toBe(anchorMac(key, { ...anchor, count: 4 }));
    // Empty or truncated MACs never match.
    expect(macEquals('', '')).toBe(false);
    expect(macEquals(mac, mac.slice(0, 62))).toBe(false);
  });
});

describe('audit key store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-audit-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates a key once in DATA_DIR/keys (0600) and reuses it', () => {
    const first = loadAuditKey({ dataDir: dir, inMemory: false });
    const second = loadAuditKey({ dataDir: dir, inMemory: false });
    expect(first.length).toBe(32);
    expect(second.equals(first)).toBe(true);
    const file = join(dir, 'keys', 'audit-hmac.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(decodeAuditKey(readFileSync(file, 'utf8')).equals(first)).toBe(true);
  });

  it('reads AUDIT_HMAC_KEY_FILE as hex or base64', () => {
    const key = randomBytes(48);
    const hexFile = join(dir, 'hex.key');
    const b64File = join(dir, 'b64.key');
    writeFileSync(hexFile, `${key.toString('hex')}\n`);
    writeFileSync(b64File, key.toString('base64url'));
    expect(loadAuditKey({ keyFile: hexFile, dataDir: dir, inMemory: true }).equals(key)).toBe(true);
    expect(loadAuditKey({ keyFile: b64File, dataDir: dir, inMemory: true }).equals(key)).toBe(true);
  });

  it('refuses a short or missing key file, naming the variable', () => {
    const short = join(dir, 'short.key');
    writeFileSync(short, randomBytes(16).toString('hex'));
    expect(() => loadAuditKey({ keyFile: short, dataDir: dir, inMemory: false })).toThrow(
      AuditKeyError,
    );
    expect(() =>
      loadAuditKey({ keyFile: join(dir, 'missing.key'), dataDir: dir, inMemory: false }),
    ).toThrow(/^AUDIT_HMAC_KEY_FILE: /);
  });

  it('in memory: a random key per process, nothing written', () => {
    const a = loadAuditKey({ dataDir: dir, inMemory: true });
    const b = loadAuditKey({ dataDir: dir, inMemory: true });
    expect(a.equals(b)).toBe(false);
    expect(() => statSync(join(dir, 'keys'))).toThrow();
  });

  it('names a key without revealing it', () => {
    const key = randomBytes(32);
    expect(auditKeyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(auditKeyId(key)).toBe(auditKeyId(Buffer.from(key)));
    expect(auditKeyId(randomBytes(32))).not.toBe(auditKeyId(key));
  });
});
