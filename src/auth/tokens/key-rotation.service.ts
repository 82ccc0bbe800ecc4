import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { AppConfig, type JwtAlgorithm } from '../../config/app-config';
import { ClusterBus } from '../../events/cluster-bus';
import { TransactionRunner } from '../../events/transaction-runner.service';
import { SigningKeyRepository } from './signing-key.repository';
import { type KeyState, SigningKeySet } from './signing-key-set';
import { SigningKeyStore } from './signing-key-store.service';
import { generatePrivateKeyPem } from './signing-keys';

/** A signing key as operators see it: never its private part. */
export interface SigningKeyView {
  kid: string;
  alg: JwtAlgorithm;
  state: KeyState;
  createdAt: string;
  signFrom: string;
  retireAfter: string | null;
}

export interface RotationResult {
  key: SigningKeyView;
  /** Keys that now have a retirement time (the one signing until the new key takes over). */
  retired: SigningKeyView[];
}

/**
 * Live rotation of generated keys: the new key is in the JWKS at once and signs after
 * JWT_KEY_ACTIVATION_DELAY; the keys it replaces leave the JWKS once their last token expired.
 * Other instances learn of it from the cluster bus (and their periodic refresh as a backstop).
 */
@Injectable()
export class KeyRotationService {
  constructor(
    private readonly store: SigningKeyStore,
    private readonly repository: SigningKeyRepository,
    private readonly transactions: TransactionRunner,
    private readonly bus: ClusterBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async rotate(actorId: string): Promise<RotationResult> {
    if (this.store.isStatic) {
      throw new AppException(
        'validation_failed',
        'The signing key comes from JWT_PRIVATE_KEY(_FILE): rotate it by replacing that key',
      );
    }
    const pem = await generatePrivateKeyPem(this.config.jwt.algorithm);
    const { kid, retired } = await this.transactions.run(async (tx) => {
      await this.repository.lock(tx);
      const signFrom = new Date(tx.now().getTime() + this.config.jwt.keyActivationDelayMs);
      const inserted = await this.store.insertKey(tx, pem, signFrom);
      await tx.record(
        'keys.rotated',
        { userId: actorId },
        {
          kid: inserted.kid,
          alg: this.config.jwt.algorithm,
          signFrom: signFrom.toISOString(),
          retiredKids: inserted.retired,
          actorId,
        },
      );
      await this.bus.publishOnCommit(tx, 'signing_keys', { kid: inserted.kid });
      return inserted;
    });
    await this.store.reload();
    const views = await this.list();
    const byKid = new Map(views.map((view) => [view.kid, view]));
    const key = byKid.get(kid);
    if (!key) throw new AppException('internal_error');
    return {
      key,
      retired: retired.map((id) => byKid.get(id)).filter((view): view is SigningKeyView => !!view),
    };
  }

  /** Every stored key, newest first, with its state now. */
  async list(): Promise<SigningKeyView[]> {
    const nowMs = this.clock.nowMs();
    const rows = await this.repository.all();
    const set = new SigningKeySet(
      rows.map((row) => ({
        kid: row.kid,
        alg: row.alg,
        privateKey: this.store.find(row.kid)?.privateKey,
        publicJwk: row.publicJwk,
        createdAtMs: row.createdAt.getTime(),
        signFromMs: row.signFrom.getTime(),
        retireAfterMs: row.retireAfter?.getTime() ?? null,
      })),
      this.config.jwt.algorithm,
    );
    return set
      .all()
      .map((key) => ({
        kid: key.kid,
        alg: key.alg,
        state: set.state(key, nowMs),
        createdAt: new Date(key.createdAtMs).toISOString(),
        signFrom: new Date(key.signFromMs).toISOString(),
        retireAfter: key.retireAfterMs === null ? null : new Date(key.retireAfterMs).toISOString(),
      }))
      .reverse();
  }
}
