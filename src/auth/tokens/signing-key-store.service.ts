import { Injectable, Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig } from '../../config/app-config';
import {
  addKeyToDirectory,
  keyDirectory,
  loadKeyDirectory,
  signingKeyFromPem,
  generatePrivateKeyPem,
  type SigningKey,
} from './signing-keys';

/**
 * The signing keys: from JWT_PRIVATE_KEY / JWT_PRIVATE_KEY_FILE, else generated once and kept in
 * DATA_DIR so restarts keep tokens valid. The newest key signs; all loaded keys verify.
 */
@Injectable()
export class SigningKeyStore {
  private readonly logger = new Logger(SigningKeyStore.name);
  private readonly keys: SigningKey[];
  private readonly byKid: Map<string, SigningKey>;

  constructor(config: AppConfig) {
    this.keys = this.load(config);
    this.byKid = new Map(this.keys.map((key) => [key.kid, key]));
  }

  private load(config: AppConfig): SigningKey[] {
    const { algorithm, privateKeyPem, privateKeyFile } = config.jwt;
    if (privateKeyPem) return [signingKeyFromPem(privateKeyPem, algorithm)];
    if (privateKeyFile)
      return [signingKeyFromPem(readFileSync(resolve(privateKeyFile), 'utf8'), algorithm)];
    if (config.embeddedInMemory)
      return [signingKeyFromPem(generatePrivateKeyPem(algorithm), algorithm)];
    const dir = keyDirectory(config.dataDir);
    const existing = loadKeyDirectory(dir, algorithm);
    if (existing.length > 0) return existing;
    this.logger.log(`generating a ${algorithm} signing key in ${dir}`);
    return [addKeyToDirectory(dir, algorithm)];
  }

  get active(): SigningKey {
    return this.keys[0];
  }

  /** `kid` comes from an unverified header: it is only ever a map lookup key. */
  find(kid: unknown): SigningKey | undefined {
    return typeof kid === 'string' ? this.byKid.get(kid) : undefined;
  }

  jwks(): { keys: SigningKey['publicJwk'][] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }
}
