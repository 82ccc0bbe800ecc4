import type { SecretBox } from '../common/secret-box';

/** Associated data binding a sealed push credential to its stream (a copied value won't open). */
const context = (streamId: string): string => `ssf-stream:${streamId}`;

/** Seals the Authorization header a receiver wants on pushes (a credential: never stored plain). */
export function sealAuthorizationHeader(box: SecretBox, streamId: string, value: string): string {
  return box.seal(value, context(streamId));
}

export function openAuthorizationHeader(box: SecretBox, streamId: string, sealed: string): string {
  return box.open(sealed, context(streamId));
}
