import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../common/constant-time';

export const SIGNATURE_HEADER = 'X-Tessera-Signature';
export const TIMESTAMP_HEADER = 'X-Tessera-Timestamp';

/**
 * `v1=` + hex HMAC-SHA256 over `<timestamp>.<body>`. Signing the timestamp with the body lets a
 * receiver refuse replays older than a few minutes (the same scheme as Stripe's).
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Receiver side: constant-time check of the signature and of the timestamp's age. */
export function verifyWebhookSignature(
  secret: string,
  header: { signature: string; timestamp: string },
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(header.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds)
    return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(header.signature);
  return constantTimeEqual(expected, given);
}
