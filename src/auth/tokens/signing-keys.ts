import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  createHash,
} from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RSA_MIN_BITS, type JwtAlgorithm } from '../../config/app-config';

export interface SigningKey {
  kid: string;
  alg: JwtAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JsonWebKey & { kid: string; alg: string; use: 'sig' };
}

const RSA_BITS = RSA_MIN_BITS;

export function generatePrivateKeyPem(alg: JwtAlgorithm): string {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
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

function assertKeyFits(alg: JwtAlgorithm, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  const ok =
    alg === 'RS256' || alg === 'PS256'
      ? type === 'rsa' && (details?.modulusLength ?? 0) >= RSA_MIN_BITS
      : type === 'ec' && details?.namedCurve === 'prime256v1';
  if (!ok) {
    const size = details?.modulusLength ? ` of ${details.modulusLength} bits` : '';
    throw new Error(
      `The signing key (${type}${size}) does not fit JWT_ALGORITHM=${alg}` +
        (type === 'rsa' ? ` (RSA keys need ${RSA_MIN_BITS} bits or more)` : ''),
    );
  }
}

export function signingKeyFromPem(pem: string, alg: JwtAlgorithm): SigningKey {
  const privateKey = createPrivateKey(pem);
  assertKeyFits(alg, privateKey);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = thumbprint(jwk);
  return { kid, alg, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/**
 * Generated keys live in DATA_DIR/keys as `<created-at>.pem`; the newest signs, every kept one
 * verifies (so a rotation does not log anyone out).
 */
export function keyDirectory(dataDir: string): string {
  return join(dataDir, 'keys');
}

/** The newest `keep` keys of the directory, newest first. */
export function loadKeyDirectory(dir: string, alg: JwtAlgorithm, keep = 3): SigningKey[] {
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
    .map((pem) => {
      try {
        return signingKeyFromPem(pem, alg);
      } catch {
        return undefined; // a key of another algorithm (before JWT_ALGORITHM changed)
      }
    })
    .filter((key): key is SigningKey => key !== undefined)
    .reverse()
    .slice(0, keep);
}

function writeKey(dir: string, pem: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}.pem`;
  writeFileSync(join(dir, name), pem, { mode: 0o600 });
}

/** Writes a new key; it signs from the next start on, and the previous ones keep verifying. */
export function addKeyToDirectory(dir: string, alg: JwtAlgorithm): SigningKey {
  const pem = generatePrivateKeyPem(alg);
  writeKey(dir, pem);
  return signingKeyFromPem(pem, alg);
}

/**
 * First start: generates the key off the main thread (a 3072-bit RSA key takes seconds), so
 * the caller can open the embedded database meanwhile. Does nothing when a key exists.
 */
export async function ensureKeyDirectory(dir: string, alg: JwtAlgorithm): Promise<void> {
  if (loadKeyDirectory(dir, alg).length > 0) return;
  const generate = promisify(generateKeyPair);
  const { privateKey } =
    alg === 'ES256'
      ? await generate('ec', { namedCurve: 'P-256' })
      : await generate('rsa', { modulusLength: RSA_BITS });
  writeKey(dir, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
}
