export {
  createTesseraClient,
  type Device,
  type LoginInput,
  type LoginResult,
  type MfaMethod,
  type Session,
  type TesseraClient,
  type TesseraClientOptions,
  type User,
} from './client';
export { TesseraError, type Problem } from './errors';
export type { TesseraEventName, TesseraEvents } from './events';
export { memoryStorage, type TesseraStorage } from './storage';
export type { components, paths } from './generated/schema';
