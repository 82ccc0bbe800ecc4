import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

export const CSRF_ON_ORIGINAL_METHOD = 'tessera:csrfOnOriginalMethod';

/**
 * For forward-authentication routes: the request a gateway asks about is not this GET but the
 * client's original one, named in X-Forwarded-Method (Traefik) or X-Original-Method (nginx). The
 * access-token guard then applies its cookie-mode CSRF rule to that method instead.
 */
export const CsrfOnOriginalMethod = (): MethodDecorator =>
  SetMetadata(CSRF_ON_ORIGINAL_METHOD, true);

const ORIGINAL_METHOD_HEADERS = ['x-forwarded-method', 'x-original-method'] as const;

/**
 * Every method the request names: its own, plus each value of the original-method headers
 * (repeated headers arrive comma-joined). The guard demands CSRF when any one is unsafe, so a
 * gateway sending both headers, or a client adding one, can only make the check stricter.
 */
export function claimedMethods(request: Request): string[] {
  const methods = [request.method.toUpperCase()];
  for (const name of ORIGINAL_METHOD_HEADERS) {
    const value = request.header(name);
    if (!value) continue;
    for (const part of value.split(',')) {
      const method = part.trim().toUpperCase();
      if (method) methods.push(method);
    }
  }
  return methods;
}

/**
 * The client's original request as a gateway names it (for a DPoP proof's htm and htu):
 * nginx sends X-Original-Method and X-Original-URL, Traefik X-Forwarded-Method, -Proto, -Host
 * and -Uri. Undefined when the gateway named no method or no complete URL.
 */
export function originalTarget(request: Request): { method: string; url: string } | undefined {
  const method = request.header('x-forwarded-method') ?? request.header('x-original-method');
  const original = request.header('x-original-url');
  const proto = request.header('x-forwarded-proto');
  const host = request.header('x-forwarded-host');
  const uri = request.header('x-forwarded-uri');
  const url = original ?? (proto && host && uri ? `${proto}://${host}${uri}` : undefined);
  if (!method || !url) return undefined;
  return { method: method.trim().toUpperCase(), url };
}
