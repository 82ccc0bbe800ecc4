import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { AppException } from '../../common/app.exception';
import { ERROR_STATUS } from '../../common/error-codes';
import { ServiceClientGuard, type ServiceRequest } from './service-client.guard';
import { ServiceCredentials } from './service-credentials';

/**
 * GET /oauth/revocations: the shared REVOCATION_FEED_SECRET, or a registered service client
 * holding revocations:read (its client_credentials token or client authentication). Without a
 * configured secret the route answers 404 to a request that presents no credential (it does not
 * exist for this deployment); a presented credential that is refused (an expired or unknown
 * token, a wrong client secret) is 401, so a service client knows to get a new token.
 */
@Injectable()
export class RevocationFeedGuard implements CanActivate {
  constructor(
    private readonly credentials: ServiceCredentials,
    private readonly services: ServiceClientGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    let refusal: AppException | undefined;
    const caller = await this.services.callerOf(request).catch((error: unknown) => {
      refusal = refusedCredential(error);
      return undefined;
    });
    if (caller?.scopes.includes('revocations:read')) {
      request.serviceCaller = caller;
      return true;
    }
    if (refusal && refusal.code !== 'unauthenticated') throw refusal;
    if (!this.credentials.offers('revocations:read')) throw new AppException('not_found');
    throw new AppException('unauthenticated', 'The revocation feed needs its service credential');
  }
}

/** A refused credential (401) is kept as the answer's reason; anything else (an outage) propagates. */
function refusedCredential(error: unknown): AppException {
  if (error instanceof AppException && ERROR_STATUS[error.code] === 401) return error;
  throw error;
}
