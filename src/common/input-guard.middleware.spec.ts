import { AppException } from './app.exception';
import { findUnacceptableInput } from './input-guard.middleware';

describe('findUnacceptableInput', () => {
  const fieldOf = (value: unknown): string | undefined =>
    findUnacceptableInput(value, 'body')?.extras.errors?.[0]?.field;

  it('accepts ordinary input, emoji (surrogate pairs) included', () => {
    expect(
      findUnacceptableInput({ email: 'a@b.c', name: '😀 é', tags: ['x', { y: 1 }] }, 'body'),
    ).toBeUndefined();
    expect(findUnacceptableInput(null, 'body')).toBeUndefined();
    expect(findUnacceptableInput('text', 'body')).toBeUndefined();
  });

  it('refuses NUL and unpaired surrogates, naming the field', () => {
    expect(fieldOf({ email: 'a\u0000b' })).toBe('body.email');
    expect(fieldOf({ device: { name: 'x\ud800' } })).toBe('body.device.name');
    expect(fieldOf({ list: ['ok', '\udc00'] })).toBe('body.list[1]');
  });

  it('refuses prototype keys and deep nesting without recursion', () => {
    expect(fieldOf({ constructor: { prototype: {} } })).toBe('body.constructor');
    expect(fieldOf(JSON.parse('{"a":{"__proto__":{}}}'))).toBe('body.a.__proto__');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    const error = findUnacceptableInput(deep, 'body');
    expect(error).toBeInstanceOf(AppException);
    expect(error?.code).toBe('validation_failed');
  });
});
