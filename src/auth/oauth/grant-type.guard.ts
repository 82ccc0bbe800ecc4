import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';

/** The only grant the token endpoint serves. */
export const SUPPORTED_GRANT = 'refresh_token';

/**
 * RFC 6749 §5.2: a grant type the server does not support answers `unsupported_grant_type`
 * (400). It runs as a guard, before body validation, because a password grant's own fields
 * (username, password) would otherwise be refused first as unknown and hide the real reason.
 * The password grant is refused on purpose: it bypasses lockout-aware sign-in and second factors.
 */
@Injectable()
export class GrantTypeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<Request>().body as unknown;
    const grant =
      typeof body === 'object' && body !== null
        ? (body as Record<string, unknown>).grant_type
        : undefined;
    // A missing or non-string grant_type is a malformed request: body validation reports it.
    if (typeof grant !== 'string' || grant === '' || grant === SUPPORTED_GRANT) return true;
    throw new AppException('validation_failed', 'Only the refresh_token grant is supported', {
      errors: [{ field: 'grant_type', messages: ['only refresh_token is supported'] }],
      rfc6749Error: 'unsupported_grant_type',
    });
  }
}
