import { problemOf, SIGNED_OUT_CODES, TesseraError, type Problem } from './errors';
import type { Emitter } from './events';
import { SingleFlight } from './single-flight';
import { newEpoch, type SessionState, type SessionStateStore } from './storage';
import { messageData, type BroadcastChannelLike, type TabLock } from './tab-lock';

export type Transport = 'header' | 'cookie';

/** The part of a token response (login, second step, refresh) the session keeps. */
export interface TokenGrant {
  accessToken?: string;
  refreshToken?: string;
  csrfToken?: string;
  expiresIn: number;
}

export interface AuthSessionOptions {
  baseUrl: string;
  transport: Transport;
  fetch: (request: Request) => Promise<Response>;
  state: SessionStateStore;
  lock: TabLock;
  channel?: BroadcastChannelLike;
  emitter: Emitter;
  /** Refresh this long before the access token expires. */
  refreshSkewMs: number;
  /** Gives up on a refresh request after this long (it holds the cross-tab lock meanwhile). */
  refreshTimeoutMs: number;
  now: () => number;
}

/** Messages between tabs (clients sharing a channel name). */
type PeerMessage =
  | { type: 'refreshed'; epoch: string; expiresAt: number }
  | { type: 'signed-out'; reason: string }
  | { type: 'lock-released' };

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The client's hold on one Tessera session: attaches credentials (bearer token, or cookies plus
 * X-CSRF-Token), refreshes before expiry and on `token_expired` (one refresh at a time per
 * client, and across tabs through the tab lock), and reports the end of the session once.
 */
export class AuthSession {
  private csrfToken: string | undefined;
  private status: 'unknown' | 'signed-in' | 'signed-out' = 'unknown';
  private readonly refreshFlight = new SingleFlight<void>();
  private readonly csrfFlight = new SingleFlight<string>();
  private readonly onPeerMessage = (event: Event): void =>
    this.handlePeer(messageData(event) as PeerMessage);

  constructor(private readonly options: AuthSessionOptions) {
    options.channel?.addEventListener('message', this.onPeerMessage);
  }

  get transport(): Transport {
    return this.options.transport;
  }

  /** Sends a request that needs no session (login, second step): credentials for cookie mode. */
  readonly sendPublic = (request: Request): Promise<Response> => {
    if (this.options.transport === 'cookie') request.headers.set('X-Auth-Mode', 'cookie');
    return this.options.fetch(this.withCredentials(request));
  };

  /**
   * Sends a request as the signed-in user. Refreshes first when the access token is about to
   * expire; on 401 `token_expired` refreshes and retries once.
   */
  readonly sendAuthenticated = async (request: Request): Promise<Response> => {
    const retry = request.clone();
    if (this.expiringSoon()) await this.refresh(() => this.expiringSoon());
    const epoch = this.options.state.read()?.epoch;
    const first = await this.send(request);
    if (first.status !== 401) return first;
    const problem = await problemOf(first);
    if (problem.code === 'token_expired') {
      await this.refresh(() => this.options.state.read()?.epoch === epoch);
      // Another tab's refresh may have ended the session while this one waited for the lock.
      if (this.options.transport === 'header' && !this.options.state.read()) {
        throw new TesseraError({ status: 401, code: 'unauthenticated', title: 'Signed out' });
      }
      return this.afterRetry(await this.send(retry));
    }
    return this.afterRetry(first, problem);
  };

  /** Stores the tokens of a login, second step or refresh. */
  adopt(grant: TokenGrant): void {
    const state: SessionState = {
      epoch: newEpoch(),
      accessExpiresAt: this.options.now() + grant.expiresIn * 1000,
    };
    if (this.options.transport === 'header') {
      state.accessToken = grant.accessToken;
      state.refreshToken = grant.refreshToken;
    }
    if (grant.csrfToken) this.csrfToken = grant.csrfToken;
    this.options.state.write(state);
    this.status = 'signed-in';
  }

  /** The session is over (logout, or an answer that says so): forget it and tell listeners once. */
  signOut(reason: string, error?: TesseraError): void {
    this.forget();
    if (this.status === 'signed-out') return;
    this.status = 'signed-out';
    this.options.emitter.emit('signedOut', { reason, error });
    this.post({ type: 'signed-out', reason });
  }

  /** Marks the session as known to be live (e.g. a reloaded page whose cookies still work). */
  markSignedIn(): void {
    this.status = 'signed-in';
  }

  close(): void {
    this.options.channel?.removeEventListener('message', this.onPeerMessage);
  }

  private forget(): void {
    this.options.state.clear();
    this.csrfToken = undefined;
  }

  private async afterRetry(response: Response, known?: Problem): Promise<Response> {
    if (response.status !== 401) return response;
    const problem = known ?? (await problemOf(response));
    if (SIGNED_OUT_CODES.has(problem.code)) this.signOut(problem.code, new TesseraError(problem));
    return response;
  }

  private expiringSoon(): boolean {
    const state = this.options.state.read();
    if (!state) return false;
    return state.accessExpiresAt - this.options.refreshSkewMs <= this.options.now();
  }

  private async send(request: Request): Promise<Response> {
    const state = this.options.state.read();
    if (this.options.transport === 'header') {
      if (state?.accessToken) request.headers.set('Authorization', `Bearer ${state.accessToken}`);
      return this.options.fetch(request);
    }
    if (UNSAFE.has(request.method.toUpperCase())) {
      request.headers.set('X-CSRF-Token', await this.csrf());
    }
    return this.options.fetch(this.withCredentials(request));
  }

  private withCredentials(request: Request): Request {
    return this.options.transport === 'cookie'
      ? new Request(request, { credentials: 'include' })
      : request;
  }

  /** Cookie mode: the CSRF token from login, or (after a reload) from GET /auth/csrf or /auth/me. */
  private async csrf(): Promise<string> {
    if (this.csrfToken) return this.csrfToken;
    return this.csrfFlight.run(async () => {
      for (const path of ['/auth/csrf', '/auth/me']) {
        const response = await this.options.fetch(
          this.withCredentials(new Request(`${this.options.baseUrl}${path}`)),
        );
        if (response.status === 404) continue;
        if (!response.ok) throw await this.failure(response);
        const body = (await response.json()) as { csrfToken?: unknown };
        if (typeof body.csrfToken === 'string') {
          this.csrfToken = body.csrfToken;
          return body.csrfToken;
        }
      }
      throw new TesseraError({ status: 0, code: 'csrf_unavailable', title: 'No CSRF token' });
    });
  }

  /**
   * Refreshes unless `stillNeeded` says another caller (this client, or another tab holding the
   * lock before us) already did. Concurrent callers share one flight.
   */
  private refresh(stillNeeded: () => boolean): Promise<void> {
    return this.refreshFlight.run(() =>
      this.options.lock.run(async () => {
        if (!stillNeeded()) return;
        await this.refreshNow();
      }),
    );
  }

  private async refreshNow(): Promise<void> {
    const request = this.refreshRequest();
    const response = await this.options.fetch(this.withCredentials(await request));
    if (!response.ok) throw await this.failure(response);
    this.adopt((await response.json()) as TokenGrant);
    const state = this.options.state.read();
    // Tokens stay out of messages: tabs that share the session share its storage too.
    if (state)
      this.post({ type: 'refreshed', epoch: state.epoch, expiresAt: state.accessExpiresAt });
    this.options.emitter.emit('refreshed', { source: 'self' });
  }

  private async refreshRequest(): Promise<Request> {
    const headers = new Headers({ 'Content-Type': 'application/json' });
    const init = {
      method: 'POST',
      headers,
      signal: AbortSignal.timeout(this.options.refreshTimeoutMs),
    };
    const url = `${this.options.baseUrl}/auth/refresh`;
    if (this.options.transport === 'cookie') {
      headers.set('X-CSRF-Token', await this.csrf());
      return new Request(url, { ...init, body: '{}' });
    }
    const refreshToken = this.options.state.read()?.refreshToken;
    if (!refreshToken) {
      const error = new TesseraError({ status: 401, code: 'unauthenticated', title: 'Signed out' });
      this.signOut('unauthenticated', error);
      throw error;
    }
    return new Request(url, { ...init, body: JSON.stringify({ refreshToken }) });
  }

  /** A failed answer as an error; one that ends the session signs out first. */
  private async failure(response: Response): Promise<TesseraError> {
    const error = new TesseraError(await problemOf(response));
    if (SIGNED_OUT_CODES.has(error.code)) this.signOut(error.code, error);
    return error;
  }

  private post(message: PeerMessage): void {
    this.options.channel?.postMessage(message);
  }

  private handlePeer(message: PeerMessage | null): void {
    switch (message?.type) {
      case 'refreshed':
        // Cookie mode with storage of its own: the peer's refresh renewed our cookies too.
        if (
          this.options.transport === 'cookie' &&
          this.options.state.read()?.epoch !== message.epoch
        ) {
          this.options.state.write({ epoch: message.epoch, accessExpiresAt: message.expiresAt });
        }
        this.status = 'signed-in';
        this.options.emitter.emit('refreshed', { source: 'peer' });
        return;
      case 'signed-out':
        this.csrfToken = undefined;
        if (this.status === 'signed-out') return;
        this.status = 'signed-out';
        this.options.emitter.emit('signedOut', { reason: message.reason });
        return;
      case 'lock-released':
      case undefined:
        return;
    }
  }
}
