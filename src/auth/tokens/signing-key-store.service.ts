import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { describeError } from '../../common/describe-error';
import { SecretBox } from '../../common/secret-box';
import { AppConfig, type JwtAlgorithm } from '../../config/app-config';
import { ClusterBus } from '../../events/cluster-bus';
import { type Tx, TransactionRunner } from '../../events/transaction-runner.service';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningKeyRepository } from './signing-key.repository';
import { type ManagedKey, retirementTime, SigningKeySet } from './signing-key-set';
import {
  generatePrivateKeyPem,
  keyDirectory,
  loadKeyDirectory,
  type PublicJwk,
  type SigningKey,
  signingKeyFromPem,
  verifyingKeyFromJwk,
} from './signing-keys';

/** Clock difference between instances and verifiers a retirement allows for (the contract's leeway bound). */
export const KEY_RETIREMENT_LEEWAY_MS = 30_000;

/** The longest lifetime of a token a key signs: user access tokens or service tokens. */
export function longestTokenTtlMs(config: AppConfig): number {
  return Math.max(config.accessTokenTtlMs, config.serviceTokenTtlMs);
}

export function sealContext(kid: string): string {
  return `signing-key:${kid}`;
}

/**
 * The signing keys in memory, so signing and verifying never wait on the database.
 *
 * An operator's JWT_PRIVATE_KEY / JWT_PRIVATE_KEY_FILE is a static key: it signs for ever and is
 * rotated by replacing it. Otherwise keys are generated into the signing_keys table, shared by
 * every instance, and re-read on a cluster-bus message and by a periodic refresh; which key signs
 * follows from the rows and the clock (SigningKeySet).
 */
@Injectable()
export class SigningKeyStore implements OnApplicationBootstrap {
  private readonly logger = new Logger(SigningKeyStore.name);
  private set: SigningKeySet = new SigningKeySet<ManagedKey>([], 'RS256');
  /** Parsed keys by kid: a reload does not unseal and parse the same key again. */
  private readonly parsed = new Map<string, SigningKey>();
  private readonly unopened = new Set<string>();
  /** Reloads may overlap (bus message, refresh tick): only the latest one started is applied. */
  private reloads = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly repository: SigningKeyRepository,
    private readonly transactions: TransactionRunner,
    private readonly box: SecretBox,
    private readonly bus: ClusterBus,
  ) {}

  get isStatic(): boolean {
    return Boolean(this.config.jwt.privateKeyPem || this.config.jwt.privateKeyFile);
  }

  /** At bootstrap, not module init: migrations (MigrationsOnStart) must have run first. */
  async onApplicationBootstrap(): Promise<void> {
    const { algorithm, privateKeyPem, privateKeyFile } = this.config.jwt;
    if (this.isStatic) {
      const pem = privateKeyPem ?? readFileSync(resolve(privateKeyFile ?? ''), 'utf8');
      const key = signingKeyFromPem(pem, algorithm);
      this.set = new SigningKeySet(
        [{ ...key, createdAtMs: 0, signFromMs: 0, retireAfterMs: null }],
        algorithm,
      );
      return;
    }
    await this.ensureSigningKey();
    await this.reload();
    if (!this.set.signer(this.clock.nowMs())) {
      throw new Error(
        'no signing key can be used: the stored keys do not open with this ENCRYPTION_KEY_FILE ' +
          '(every instance on one database must share it)',
      );
    }
    this.bus.subscribe('signing_keys', () => void this.reloadLogged());
    this.bus.onResync(() => void this.reloadLogged());
  }

  /** The key that signs now. */
  get active(): SigningKey {
    const key = this.set.signer(this.clock.nowMs());
    if (!key) throw new AppException('internal_error', 'No usable signing key');
    return key;
  }

  /** `kid` comes from an unverified header: it is only ever a map lookup key. */
  find(kid: unknown): SigningKey | undefined {
    return this.set.find(kid, this.clock.nowMs());
  }

  /** The kid that signs now, if any (the purge never touches it). */
  activeKid(): string | undefined {
    return this.set.signer(this.clock.nowMs())?.kid;
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: this.set.published(this.clock.nowMs()) };
  }

  /** Re-reads the table (no-op for a static key). */
  async reload(tx?: Tx): Promise<void> {
    if (this.isStatic) return;
    const reload = ++this.reloads;
    const rows = await this.repository.all(tx);
    if (reload !== this.reloads) return;
    // Purged keys: their parsed copies go too.
    const stored = new Set(rows.map((row) => row.kid));
    for (const kid of this.parsed.keys()) if (!stored.has(kid)) this.parsed.delete(kid);
    const keys = rows
      .map((row) => this.toManaged(row))
      .filter((key): key is ManagedKey => key !== undefined);
    this.set = new SigningKeySet(keys, this.config.jwt.algorithm);
  }

  async reloadLogged(): Promise<void> {
    try {
      await this.reload();
    } catch (error) {
      this.logger.warn(`signing keys not reloaded: ${describeError(error)}`);
    }
  }

  /**
   * A new row for `pem`: published now, signing from `signFrom`, and every other key without a
   * retirement retired once the tokens it may still sign until then have expired.
   */
  async insertKey(
    tx: Tx,
    pem: string,
    signFrom: Date,
  ): Promise<{ kid: string; retired: string[] }> {
    const alg = this.config.jwt.algorithm;
    const key = signingKeyFromPem(pem, alg);
    const row = new SigningKeyEntity();
    Object.assign(row, {
      kid: key.kid,
      alg,
      publicJwk: key.publicJwk,
      privateKey: this.box.seal(pem, sealContext(key.kid)),
      createdAt: tx.now(),
      signFrom,
      retireAfter: null,
    });
    await this.repository.insert(tx, row);
    const retireAt = retirementTime(
      signFrom.getTime(),
      longestTokenTtlMs(this.config),
      KEY_RETIREMENT_LEEWAY_MS,
    );
    const retired = await this.repository.retireOthers(tx, key.kid, new Date(retireAt));
    return { kid: key.kid, retired };
  }

  /**
   * First start (or a changed JWT_ALGORITHM): a key of the configured algorithm that signs at
   * once. Keys from DATA_DIR/keys (before the table existed) are imported, so tokens they signed
   * stay valid across the upgrade. Serialised by a table lock when instances start together.
   */
  private async ensureSigningKey(): Promise<void> {
    const alg = this.config.jwt.algorithm;
    if (this.hasUsableRow(await this.repository.all(), alg)) return;
    const imported = this.config.embeddedInMemory
      ? []
      : loadKeyDirectory(keyDirectory(this.config.dataDir), alg);
    const pems = imported.length > 0 ? imported : [await generatePrivateKeyPem(alg)];
    await this.transactions.run(async (tx) => {
      await this.repository.lock(tx);
      if (this.hasUsableRow(await this.repository.all(tx), alg)) return;
      // Oldest first: each import supersedes the one before, the newest signs.
      for (const pem of pems) await this.insertKey(tx, pem, tx.now());
      this.logger.log(
        imported.length > 0
          ? `imported ${imported.length} ${alg} signing key(s) from DATA_DIR/keys`
          : `generated a ${alg} signing key`,
      );
    });
  }

  private hasUsableRow(rows: readonly SigningKeyEntity[], alg: JwtAlgorithm): boolean {
    return rows.some((row) => row.alg === alg && row.retireAfter === null);
  }

  private toManaged(row: SigningKeyEntity): ManagedKey | undefined {
    const times = {
      createdAtMs: row.createdAt.getTime(),
      signFromMs: row.signFrom.getTime(),
      retireAfterMs: row.retireAfter?.getTime() ?? null,
    };
    const key = this.parsed.get(row.kid) ?? this.parse(row);
    return key ? { ...key, ...times } : undefined;
  }

  /** Opens the private part when this instance may sign with it; else a verify-only key. */
  private parse(row: SigningKeyEntity): SigningKey | undefined {
    try {
      let key: SigningKey;
      try {
        key = signingKeyFromPem(this.box.open(row.privateKey, sealContext(row.kid)), row.alg);
      } catch (error) {
        if (!this.unopened.has(row.kid)) {
          this.unopened.add(row.kid);
          this.logger.error(
            `signing key ${row.kid} does not open (${describeError(error)}); it only verifies here`,
          );
        }
        return verifyingKeyFromJwk(row.publicJwk, row.alg);
      }
      this.parsed.set(row.kid, key);
      return key;
    } catch (error) {
      this.logger.error(`signing key ${row.kid} is unusable: ${describeError(error)}`);
      return undefined;
    }
  }
}
