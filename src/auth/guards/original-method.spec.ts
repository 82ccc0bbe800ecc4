import type { Request } from 'express';
import { claimedMethods } from './original-method';

function requestWith(method: string, headers: Record<string, string> = {}): Request {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, header: (name: string) => lower[name.toLowerCase()] } as unknown as Request;
}

describe('claimedMethods', () => {
  it('is the request method alone without original-method headers', () => {
    expect(claimedMethods(requestWith('GET'))).toEqual(['GET']);
  });

  it('adds X-Forwarded-Method and X-Original-Method, upper-cased', () => {
    const sut = requestWith('GET', { 'X-Forwarded-Method': 'post', 'X-Original-Method': 'Delete' });
    expect(claimedMethods(sut)).toEqual(['GET', 'POST', 'DELETE']);
  });

  it('splits repeated (comma-joined) headers and ignores empty parts', () => {
    const sut = requestWith('GET', { 'X-Original-Method': 'GET, PATCH,' });
    expect(claimedMethods(sut)).toEqual(['GET', 'GET', 'PATCH']);
  });
});
