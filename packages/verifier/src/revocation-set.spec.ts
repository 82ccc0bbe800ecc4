import { RevocationSet } from './revocation-set';

describe('RevocationSet', () => {
  it('holds an ended session until its end plus the keep time', () => {
    let now = 1_000_000;
    const sut = new RevocationSet(60_000, () => now);
    sut.add('s1', now - 10_000);
    expect(sut.has('s1')).toBe(true);
    expect(sut.has('s2')).toBe(false);
    now += 49_999;
    expect(sut.has('s1')).toBe(true);
    now += 1;
    expect(sut.has('s1')).toBe(false);
  });

  it('keeps the earliest end when told twice, and prunes what cannot matter', () => {
    let now = 1_000_000;
    const sut = new RevocationSet(60_000, () => now);
    sut.add('s1', now);
    sut.add('s1', now + 5_000);
    now += 60_000;
    expect(sut.has('s1')).toBe(false);
    sut.add('s2', now);
    expect(sut.size).toBe(1);
  });
});
