import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../../common/constant-time';
import type { Clock } from '../../common/clock';

/** A nonce stays good for the window it was issued in and the next one: 5 to 10 minutes. */
export const DPOP_NONCE_WINDOW_MS = 5 * 60_000;

/**
 * Server nonces (RFC 9449 §8) without storage: a nonce is the time window it was issued in,
 * MACed with a key every instance shares, so any instance validates any other's nonces.
 */
export class DpopNonces {
  constructor(
    private readonly key: Buffer,
    private readonly clock: Clock,
  ) {}

  issue(): string {
    return this.nonceFor(this.currentWindow());
  }

  isValid(nonce: string): boolean {
    const window = this.currentWindow();
    return [window, window - 1].some((candidate) => {
      const expected = Buffer.from(this.nonceFor(candidate));
      const actual = Buffer.from(nonce);
      return constantTimeEqual(actual, expected);
    });
  }

  private currentWindow(): number {
    return Math.floor(this.clock.nowMs() / DPOP_NONCE_WINDOW_MS);
  }

  private nonceFor(window: number): string {
    const id = window.toString(36);
    return `${id}.${createHmac('sha256', this.key).update(`dpop-nonce:${id}`).digest('base64url')}`;
  }
}
