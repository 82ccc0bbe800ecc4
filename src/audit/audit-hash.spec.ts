import { canonicalJson, chainHash, GENESIS_HASH, type HashedFields } from './audit-hash';

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
  data: { reason: 'logout', nested: { b: 1, a: [2, { d: 1, c: 0 }] } },
};

describe('audit hash chain', () => {
  it('serialises objects with sorted keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('does not depend on key order, but on every field and on the previous hash', () => {
    const reordered = {
      ...record,
      data: { nested: { a: [2, { c: 0, d: 1 }], b: 1 }, reason: 'logout' },
    };
    expect(chainHash(reordered, GENESIS_HASH)).toBe(chainHash(record, GENESIS_HASH));
    expect(chainHash({ ...record, ip: '127.0.0.2' }, GENESIS_HASH)).not.toBe(
      chainHash(record, GENESIS_HASH),
    );
    expect(chainHash(record, 'f'.repeat(64))).not.toBe(chainHash(record, GENESIS_HASH));
  });
});
