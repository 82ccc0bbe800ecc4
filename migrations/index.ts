import { CoreSchema1764000000000 } from './1764000000000-core-schema';

/** Every migration in order. The only way the schema changes (synchronize is off). */
export const MIGRATIONS: Function[] = [CoreSchema1764000000000];
