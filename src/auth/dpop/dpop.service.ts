import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { TransactionRunner } from '../../events/transaction-runner.service';
import { ServerSecretRepository } from '../browser/server-secret.repository';
import { DpopNonces } from './dpop-nonces';
import { DpopProofJtiRepository } from './dpop-proof-jti.repository';
import {
  DPOP_ALGORITHMS,
  DpopProofVerifier,
  type ProofRefusal,
  type VerifiedProof,
} from './dpop-proof.verifier';
import {
  DatabaseReplayStore,
  LocalReplayStore,
  RedisReplayStore,
  type ReplayStore,
  replayKey,
} from './dpop-replay-cache';

export const DPOP_NONCE_HEADER = 'DPoP-Nonce';

/** What a resource route checks a proof against (a gateway passes the original request's). */
export interface ResourceRequest {
  method: string;
  /** This service's own request path, or (forward auth) the original request's absolute URL. */
  path: string;
  absoluteUrl?: string;
  proof: string | undefined;
  accessToken: string;
  /** The access token's cnf.jkt. */
  jkt: string;
}

/**
 * DPoP (RFC 9449) for Tessera's routes. Token endpoints (login, refresh, /oauth/token) require a
 * server nonce and remember every proof in a store all instances share (Redis when configured,
 * else PostgreSQL), so a proof is accepted once cluster-wide. Resource routes keep the guard's
 * zero-query promise: a proof is remembered only in this instance's memory, so a captured proof
 * could be replayed once per other instance within the iat window, for the same method and URL
 * and with the same access token (ath). That is the trade-off accepted for no I/O per request.
 */
@Injectable()
export class DpopService implements OnApplicationBootstrap, OnModuleDestroy {
  private nonces?: DpopNonces;
  private verifier?: DpopProofVerifier;
  private readonly local = new LocalReplayStore();
  private readonly shared: ReplayStore;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly secrets: ServerSecretRepository,
    private readonly transactions: TransactionRunner,
    jtis: DpopProofJtiRepository,
  ) {
    this.shared = config.redisUrl
      ? new RedisReplayStore(config.redisUrl)
      : new DatabaseReplayStore(jtis);
  }

  async onApplicationBootstrap(): Promise<void> {
    const value = await this.transactions.run((tx) =>
      this.secrets.getOrCreate(tx, 'dpop_nonce', randomBytes(32).toString('base64url')),
    );
    this.nonces = new DpopNonces(Buffer.from(value, 'base64url'), this.clock);
    this.verifier = new DpopProofVerifier(this.clock, this.config.dpopProofLeewayMs, this.nonces);
  }

  async onModuleDestroy(): Promise<void> {
    await this.shared.close?.();
  }

  /** A fresh nonce for the DPoP-Nonce response header. */
  freshNonce(): string {
    return this.loaded().nonces.issue();
  }

  /**
   * At a token endpoint: the key thumbprint of the request's proof, or undefined when it sent
   * none (DPoP is opt-in). A bad, nonce-less or replayed proof is refused with 400 and the
   * OAuth error code, plus a fresh nonce.
   */
  async atTokenEndpoint(request: Request): Promise<string | undefined> {
    const proof = request.header('dpop');
    if (proof === undefined) return undefined;
    const result = await this.loaded().verifier.verify(proof, {
      method: request.method,
      url: this.urlOf(request.originalUrl),
      nonceRequired: true,
    });
    if (!result.ok) throw this.tokenEndpointError(result);
    if (!(await this.firstUse(this.shared, result.proof))) {
      throw this.tokenEndpointError({
        code: 'invalid_dpop_proof',
        detail: 'The DPoP proof was already used',
      });
    }
    return result.proof.jkt;
  }

  /** At a resource route, for an access token bound to `jkt`: 401 unless the proof fits. */
  async atResource(request: ResourceRequest): Promise<void> {
    const result = await this.loaded().verifier.verify(request.proof, {
      method: request.method,
      url: request.absoluteUrl ?? this.urlOf(request.path),
      accessToken: request.accessToken,
      nonceRequired: false,
    });
    if (!result.ok) throw this.resourceError(result);
    if (result.proof.jkt !== request.jkt) {
      throw this.resourceError({
        code: 'invalid_dpop_proof',
        detail: 'The DPoP proof is not signed with the key the access token is bound to',
      });
    }
    if (!(await this.firstUse(this.local, result.proof))) {
      throw this.resourceError({
        code: 'invalid_dpop_proof',
        detail: 'The DPoP proof was already used',
      });
    }
  }

  /** The 401 for a token presented with the wrong scheme (Bearer for a bound token). */
  resourceError(refusal: ProofRefusal): AppException {
    const algs = DPOP_ALGORITHMS.join(' ');
    return new AppException(refusal.code, refusal.detail, {
      headers: {
        'WWW-Authenticate': `DPoP error="${refusal.code}", algs="${algs}"`,
        [DPOP_NONCE_HEADER]: this.freshNonce(),
      },
    });
  }

  private tokenEndpointError(refusal: ProofRefusal): AppException {
    return new AppException(refusal.code, refusal.detail, {
      rfc6749Error: refusal.code,
      headers: { [DPOP_NONCE_HEADER]: this.freshNonce() },
    });
  }

  /** A proof is good for twice the leeway (iat may be that far either side of now). */
  private firstUse(store: ReplayStore, proof: VerifiedProof): Promise<boolean> {
    const ttlMs = 2 * this.config.dpopProofLeewayMs + 1000;
    return store.firstUse(replayKey(proof.jkt, proof.jti), ttlMs, this.clock.nowMs());
  }

  /** PUBLIC_URL plus the request's path: the Host header is not trusted. */
  private urlOf(originalUrl: string): string {
    const path = originalUrl.split(/[?#]/, 1)[0];
    return `${this.config.publicUrl.replace(/\/+$/, '')}${path}`;
  }

  private loaded(): { nonces: DpopNonces; verifier: DpopProofVerifier } {
    if (!this.nonces || !this.verifier) throw new Error('DPoP nonce key not loaded');
    return { nonces: this.nonces, verifier: this.verifier };
  }
}
