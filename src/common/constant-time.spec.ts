import { constantTimeEqual } from './constant-time';

describe('constantTimeEqual', () => {
  it('is true for equal bytes and false for any difference', () => {
    expect(constantTimeEqual(Buffer.from('secret'), Buffer.from('secret'))).toBe(true);
    expect(constantTimeEqual(Buffer.from('secret'), Buffer.from('secreT'))).toBe(false);
  });

  it('answers false for different lengths instead of throwing', () => {
    expect(constantTimeEqual(Buffer.from('secret'), Buffer.from('secret!'))).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), Buffer.from('x'))).toBe(false);
  });
});
