import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tessera:public';

/** Opts a route or controller out of the global authentication guard (deny by default). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
