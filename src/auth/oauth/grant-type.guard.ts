import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';

/** The grants the token endpoint serves: refresh for users, client_credentials for services. */
export const SUPPORTED_GRANTS: readonly string[] = ['refresh_token', 'client_credentials'];

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
    if (typeof grant !== 'string' || grant === '' || SUPPORTED_GRANTS.includes(grant)) return true;
    throw new AppException(
      'validation_failed',
      'Only refresh_token and client_credentials are supported',
      {
        errors: [
          {
            field: 'grant_type',
            messages: ['only refresh_token and client_credentials are supported'],
          },
        ],
        rfc6749Error: 'unsupported_grant_type',
      },
    );
  }
}
