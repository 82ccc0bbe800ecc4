import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';
import { ServiceCredentials } from './service-credentials';

/**
 * GET /oauth/revocations: 404 while no feed secret is configured (the route does not exist for
 * this deployment), 401 for a missing or wrong service credential.
 */
@Injectable()
export class RevocationFeedGuard implements CanActivate {
  constructor(private readonly credentials: ServiceCredentials) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.credentials.offers('revocations:read')) throw new AppException('not_found');
    const request = context.switchToHttp().getRequest<Request>();
    const caller = this.credentials.authenticate(request.header('authorization'));
    if (!caller?.scopes.includes('revocations:read')) {
      throw new AppException('unauthenticated', 'The revocation feed needs its service credential');
    }
    return true;
  }
}
