import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AppException } from '../../common/app.exception';
import { ERROR_STATUS } from '../../common/error-codes';
import { ServiceClientGuard, type ServiceRequest } from './service-client.guard';
import { type ServiceCaller, ServiceCredentials } from './service-credentials';

/**
 * GET /oauth/revocations: the shared REVOCATION_FEED_SECRET, or a registered service client
 * holding revocations:read (its client_credentials token or client authentication). Without a
 * configured secret the route answers 404 to everyone else (it does not exist for this
 * deployment); with one, a missing or wrong credential is 401.
 */
@Injectable()
export class RevocationFeedGuard implements CanActivate {
  constructor(
    private readonly credentials: ServiceCredentials,
    private readonly services: ServiceClientGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    const caller = await this.services.callerOf(request).catch(refusedAs(undefined));
    if (caller?.scopes.includes('revocations:read')) {
      request.serviceCaller = caller;
      return true;
    }
    if (!this.credentials.offers('revocations:read')) throw new AppException('not_found');
    throw new AppException('unauthenticated', 'The revocation feed needs its service credential');
  }
}

/** A refused credential (401) counts as none; anything else (a database outage) propagates. */
function refusedAs(
  value: ServiceCaller | undefined,
): (error: unknown) => ServiceCaller | undefined {
  return (error) => {
    if (error instanceof AppException && ERROR_STATUS[error.code] === 401) return value;
    throw error;
  };
}
