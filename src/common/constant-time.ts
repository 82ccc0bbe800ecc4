import { timingSafeEqual } from 'node:crypto';

/**
 * Compares secrets (tokens, MACs, nonces) without an early exit that would leak how much of
 * them matched. Different lengths are simply unequal: timingSafeEqual itself would throw.
 */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
