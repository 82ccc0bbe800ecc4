import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Role } from './role';

export const REQUIRED_ROLES = 'tessera:roles';

/** The caller must hold every listed role, checked against the database on each request. */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_ROLES, roles);

/** An admin-only controller or route: role check plus its OpenAPI tag, security and errors. */
export const AdminOnly = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Roles('admin'),
    ApiTags('admin'),
    ApiBearerAuth('bearer'),
    ApiUnauthorizedResponse({
      description: 'Not signed in (problem+json, code unauthenticated/token_*/session_*)',
    }),
    ApiForbiddenResponse({ description: 'Not an admin (problem+json, code forbidden)' }),
  );
