// TEMPORARY STUB (branch ssf only), mirroring the interface of the oauth branch's service-clients
// core; replaced by that file when `oauth` is merged. Never shipped.
import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiSecurity } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';
import { Public } from '../../common/public.decorator';
import { type ServiceCaller, ServiceCredentials, type ServiceScope } from './service-credentials';

export const SERVICE_SCOPE = 'tessera:serviceScope';

export type ServiceRequest = Request & { serviceCaller?: ServiceCaller };

export const RequireServiceScope = (scope: ServiceScope): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Public(),
    SetMetadata(SERVICE_SCOPE, scope),
    UseGuards(ServiceClientGuard),
    ApiSecurity('serviceToken'),
    ApiSecurity('serviceClient'),
  );

export const CurrentServiceCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ServiceCaller | undefined =>
    context.switchToHttp().getRequest<ServiceRequest>().serviceCaller,
);

@Injectable()
export class ServiceClientGuard implements CanActivate {
  constructor(
    private readonly credentials: ServiceCredentials,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    const caller = this.credentials.authenticate(request.header('authorization'));
    if (!caller) throw new AppException('unauthenticated');
    const scope = this.reflector.getAllAndOverride<ServiceScope | undefined>(SERVICE_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scope && !caller.scopes.includes(scope)) throw new AppException('forbidden');
    request.serviceCaller = caller;
    return true;
  }
}
