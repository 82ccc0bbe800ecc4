import { describeError } from './describe-error';

describe('describeError', () => {
  it('gives an Error’s message, without its stack or name', () => {
    expect(describeError(new TypeError('bad input'))).toBe('bad input');
  });

  it('gives the string form of anything else thrown', () => {
    expect(describeError('plain')).toBe('plain');
    expect(describeError(42)).toBe('42');
    expect(describeError(undefined)).toBe('undefined');
  });
});
