import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/app.exception';
import { SigningKeyStore } from './signing-key-store.service';
import { signJws } from './signing-keys';

const encodeSegment = (value: unknown): string =>
  Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * Signs other JWTs than access tokens (Security Event Tokens) with the active key of the one key
 * set the JWKS publishes: a receiver verifies them with the same /.well-known/jwks.json. The
 * header carries the key's `alg` and `kid` and the caller's `typ`; nothing else.
 */
@Injectable()
export class JwtSigner {
  constructor(private readonly keys: SigningKeyStore) {}

  sign(typ: string, claims: Record<string, unknown>): string {
    const key = this.keys.active;
    if (!key.privateKey) throw new AppException('internal_error', 'No usable signing key');
    const header = { alg: key.alg, typ, kid: key.kid };
    const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
    return `${signingInput}.${signJws(key.alg, key.privateKey, signingInput)}`;
  }
}
