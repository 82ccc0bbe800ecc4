import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RSA_MIN_BITS, type JwtAlgorithm } from '../../config/app-config';

export type PublicJwk = JsonWebKey & { kid: string; alg: JwtAlgorithm; use: 'sig' };

export interface SigningKey {
  kid: string;
  alg: JwtAlgorithm;
  /** Absent for a key this instance can only verify with (its private part did not open). */
  privateKey?: KeyObject;
  publicKey: KeyObject;
  publicJwk: PublicJwk;
}

const RSA_BITS = RSA_MIN_BITS;
const generate = promisify(generateKeyPair);

/** A new private key for `alg`, off the main thread (a 3072-bit RSA key takes seconds). */
export async function generatePrivateKeyPem(alg: JwtAlgorithm): Promise<string> {
  const { privateKey } =
    alg === 'ES256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? await generate('ed25519')
        : await generate('rsa', { modulusLength: RSA_BITS });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Synchronous twin of generatePrivateKeyPem, for scripts (benchmarks) that need one key up front. */
export function generatePrivateKeyPemSync(alg: JwtAlgorithm): string {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** RFC 7638 thumbprint of the public key: a kid that names the key itself. */
function thumbprint(jwk: JsonWebKey): string {
  const members: Record<string, string[]> = {
    RSA: ['e', 'kty', 'n'],
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
  };
  const required = members[jwk.kty ?? ''] ?? [];
  const canonical = JSON.stringify(
    Object.fromEntries(required.map((name) => [name, jwk[name as keyof JsonWebKey]])),
  );
  return createHash('sha256').update(canonical).digest('base64url');
}

function keyFits(alg: JwtAlgorithm, key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return type === 'rsa' && (details?.modulusLength ?? 0) >= RSA_MIN_BITS;
    case 'ES256':
      return type === 'ec' && details?.namedCurve === 'prime256v1';
    case 'EdDSA':
      return type === 'ed25519';
  }
}

function assertKeyFits(alg: JwtAlgorithm, key: KeyObject): void {
  if (keyFits(alg, key)) return;
  const type = key.asymmetricKeyType;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  throw new Error(
    `The signing key (${type}${bits ? ` of ${bits} bits` : ''}) does not fit JWT_ALGORITHM=${alg}` +
      (type === 'rsa' ? ` (RSA keys need ${RSA_MIN_BITS} bits or more)` : ''),
  );
}

function fromKeyObjects(
  alg: JwtAlgorithm,
  publicKey: KeyObject,
  privateKey?: KeyObject,
): SigningKey {
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = thumbprint(jwk);
  return { kid, alg, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

export function signingKeyFromPem(pem: string, alg: JwtAlgorithm): SigningKey {
  const privateKey = createPrivateKey(pem);
  assertKeyFits(alg, privateKey);
  return fromKeyObjects(alg, createPublicKey(privateKey), privateKey);
}

/** A verify-only key from its stored public JWK. */
export function verifyingKeyFromJwk(jwk: JsonWebKey, alg: JwtAlgorithm): SigningKey {
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  assertKeyFits(alg, publicKey);
  return fromKeyObjects(alg, publicKey);
}

/** RFC 7518 / RFC 8037: node:crypto's digest for each JWS algorithm (EdDSA hashes itself). */
function digestOf(alg: JwtAlgorithm): string | null {
  return alg === 'EdDSA' ? null : 'sha256';
}

/**
 * The key with the algorithm's options: PS256 is RSASSA-PSS with a salt as long as the hash;
 * ES256 signatures are the raw r||s pair (IEEE P1363), not DER.
 */
function withOptions<T extends KeyObject>(alg: JwtAlgorithm, key: T) {
  switch (alg) {
    case 'PS256':
      return {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      };
    case 'ES256':
      return { key, dsaEncoding: 'ieee-p1363' as const };
    case 'RS256':
    case 'EdDSA':
      return key;
  }
}

export function signJws(alg: JwtAlgorithm, privateKey: KeyObject, input: string): string {
  return sign(digestOf(alg), Buffer.from(input, 'utf8'), withOptions(alg, privateKey)).toString(
    'base64url',
  );
}

/** Never throws: a malformed signature is simply not valid. */
export function verifyJws(
  alg: JwtAlgorithm,
  publicKey: KeyObject,
  input: string,
  signature: string,
): boolean {
  try {
    return verify(
      digestOf(alg),
      Buffer.from(input, 'utf8'),
      withOptions(alg, publicKey),
      Buffer.from(signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

/** Where versions before the signing_keys table kept generated keys (imported once at start). */
export function keyDirectory(dataDir: string): string {
  return join(dataDir, 'keys');
}

/** The `.pem` keys of the directory that fit `alg`, oldest first (file names are creation times). */
export function loadKeyDirectory(dir: string, alg: JwtAlgorithm): string[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((name) => name.endsWith('.pem'))
      .sort();
  } catch {
    return [];
  }
  return files
    .map((name) => readFileSync(join(dir, name), 'utf8'))
    .filter((pem) => {
      try {
        signingKeyFromPem(pem, alg);
        return true;
      } catch {
        return false; // a key of another algorithm (before JWT_ALGORITHM changed)
      }
    });
}
