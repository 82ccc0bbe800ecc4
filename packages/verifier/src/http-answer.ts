import { bearerToken } from './bearer';
import { VerifierError } from './errors';
import type { TesseraClaims, Verifier } from './verifier';

/** Verifies a request's bearer token; the shared core of the Nest guard and the Express middleware. */
export async function verifyAuthorization(
  verifier: Verifier,
  header: string | string[] | undefined,
): Promise<TesseraClaims> {
  const token = bearerToken(header);
  if (!token) throw new VerifierError('unauthenticated');
  return verifier.verify(token);
}

/** The headers that go with a refusal (RFC 6750 §3 for 401s; Retry-After for a stale feed). */
export function refusalHeaders(error: VerifierError): Record<string, string> {
  if (error.status === 503) return { 'Retry-After': '5' };
  return {
    'WWW-Authenticate':
      error.code === 'unauthenticated'
        ? 'Bearer'
        : `Bearer error="invalid_token", error_description="${error.message}"`,
  };
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
