import { applyDecorators, SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tessera:public';

/** Opts a route or controller out of the global authentication guard (deny by default). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export const OPTIONAL_AUTH = 'tessera:optionalAuth';

/**
 * A public route that also recognises a signed-in caller: a valid access token (and, by cookie,
 * CSRF token) sets CurrentAuth; anything else is treated as signed out, never refused.
 */
export const OptionalAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(Public(), SetMetadata(OPTIONAL_AUTH, true));
