// TEMPORARY STUB (branch ssf only): replaced by the oauth branch's service-clients core at merge.
import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';
import { type ServiceCaller, ServiceCredentials, type ServiceScope } from './service-credentials';

const SCOPE_KEY = 'tessera:service-scope';

export const RequireServiceScope = (scope: ServiceScope): MethodDecorator & ClassDecorator =>
  SetMetadata(SCOPE_KEY, scope);

type WithCaller = Request & { serviceCaller?: ServiceCaller };

export const CurrentServiceCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ServiceCaller => {
    const caller = context.switchToHttp().getRequest<WithCaller>().serviceCaller;
    if (!caller) throw new AppException('unauthenticated');
    return caller;
  },
);

@Injectable()
export class ServiceClientGuard implements CanActivate {
  constructor(
    private readonly credentials: ServiceCredentials,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<WithCaller>();
    const caller = this.credentials.authenticate(request.header('authorization'));
    if (!caller) throw new AppException('unauthenticated');
    const scope = this.reflector.getAllAndOverride<ServiceScope | undefined>(SCOPE_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scope && !caller.scopes.includes(scope)) throw new AppException('forbidden');
    request.serviceCaller = caller;
    return true;
  }
}
