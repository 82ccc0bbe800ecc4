import createClient, { type Client } from 'openapi-fetch';
import { AuthSession, type TokenGrant, type Transport } from './auth-session';
import { TesseraError, type Problem } from './errors';
import { Emitter, type Listener, type TesseraEventName } from './events';
import type { components, paths } from './generated/schema';
import { memoryStorage, SessionStateStore, type TesseraStorage } from './storage';
import { createTabLock, type BroadcastChannelLike } from './tab-lock';

type Schemas = components['schemas'];
export type User = Schemas['UserViewDto'];
export type Session = Schemas['SessionViewDto'];
export type Device = Schemas['DeviceViewDto'];
export type MfaMethod = 'totp' | 'recovery_code';

export interface TesseraClientOptions {
  /** Where Tessera answers, e.g. `https://auth.example.com` or `''` for the page's own origin. */
  baseUrl: string;
  /** `cookie` for browsers (HttpOnly cookies + CSRF token), `header` for apps, CLIs, services. */
  transport: Transport;
  /**
   * Header mode: where the tokens live (default: memory). Give `localStorage` to share a session
   * between tabs. Cookie mode keeps no token anywhere; it only coordinates refreshes here
   * (default: `localStorage` in a browser).
   */
  storage?: TesseraStorage;
  /** A fetch of your own (instrumentation, a cookie jar in Node). */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * The BroadcastChannel name tabs of one session coordinate on, or `false` for none. Default:
   * `tessera-auth` when the session is shared (cookie mode, or a storage you gave), else none.
   */
  channelName?: string | false;
  /**
   * Key prefix in storage (default `tessera`). The refresh lock and the tab channel are named
   * after this prefix and `baseUrl` together, so clients of unrelated Tessera deployments (or of
   * one deployment with their own prefixes) in one runtime never wait on each other's refreshes.
   */
  storageKey?: string;
  /** Refresh this many seconds before the access token expires (default 30). */
  refreshSkewSeconds?: number;
  /** The client's clock (tests). */
  now?: () => number;
}

export interface LoginInput {
  email: string;
  password: string;
  rememberMe?: boolean;
  device?: { id?: string; name?: string; platform?: string };
}

export type LoginResult =
  | { status: 'signed_in'; user: User; session: Session }
  | {
      status: 'mfa_required';
      mfaToken: string;
      methods: Array<'totp' | 'webauthn' | 'recovery_code'>;
      expiresIn: number;
    };

export interface TesseraClient {
  login(input: LoginInput): Promise<LoginResult>;
  /** The second step after `mfa_required`. */
  verifyMfa(input: { mfaToken: string; method: MfaMethod; code: string }): Promise<LoginResult>;
  logout(): Promise<void>;
  logoutAll(): Promise<void>;
  me(): Promise<{ user: User; session: Session }>;
  sessions: {
    list(): Promise<Session[]>;
    revoke(id: string): Promise<void>;
    /** Signs out every other session of the user. */
    revokeOthers(): Promise<void>;
  };
  devices: {
    list(): Promise<Device[]>;
    rename(id: string, name: string): Promise<void>;
    trust(id: string): Promise<void>;
    untrust(id: string): Promise<void>;
    /** Forgets the device and ends its sessions. */
    forget(id: string): Promise<void>;
  };
  /** Any other route, typed from the OpenAPI document, sent as the signed-in user. */
  request: Client<paths>;
  on<E extends TesseraEventName>(event: E, listener: Listener<E>): () => void;
  /** Stops listening to other tabs. */
  close(): void;
}

const DEFAULT_SKEW_S = 30;
/** A refresh holds the cross-tab lock; past this, waiters take it over. */
const REFRESH_TIMEOUT_MS = 10_000;

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function browserStorage(): TesseraStorage | undefined {
  return (globalThis as { localStorage?: TesseraStorage }).localStorage;
}

/**
 * What the refresh lock and the tab channel are named after: the storage prefix and the server.
 * Tabs of one app agree on both; an unrelated client (another deployment, another prefix) differs.
 */
function coordinationScope(baseUrl: string, prefix: string): string {
  return `${prefix}@${baseUrl}`;
}

function openChannel(name: string | false): BroadcastChannelLike | undefined {
  if (name === false || typeof BroadcastChannel === 'undefined') return undefined;
  const channel = new BroadcastChannel(name);
  // Node keeps the process alive for an open channel; a client should not.
  (channel as { unref?: () => void }).unref?.();
  return channel;
}

/** The body of an error answer as a problem (openapi-fetch has parsed it already). */
function toError(outcome: Outcome<unknown>): TesseraError {
  const body = outcome.error as Partial<Problem> | undefined;
  const status = outcome.response.status;
  return new TesseraError(
    typeof body?.code === 'string'
      ? ({ ...body, status } as Problem)
      : { status, code: `http_${status}`, title: outcome.response.statusText },
  );
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.error !== undefined || !outcome.response.ok) throw toError(outcome);
  return outcome.data as T;
}

function done(outcome: Outcome<unknown>): void {
  unwrap(outcome);
}

export function createTesseraClient(options: TesseraClientOptions): TesseraClient {
  const { transport } = options;
  // `https://auth.example.com/` too: the session's own URLs (refresh, CSRF) append a path.
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const sharedStorage = options.storage !== undefined;
  const storage =
    options.storage ??
    (transport === 'cookie' ? (browserStorage() ?? memoryStorage()) : memoryStorage());
  const prefix = options.storageKey ?? 'tessera';
  const scope = coordinationScope(baseUrl, prefix);
  const channelName =
    options.channelName ?? (transport === 'cookie' || sharedStorage ? 'tessera-auth' : false);
  const channel = openChannel(channelName === false ? false : `${channelName}:${scope}`);
  const now = options.now ?? (() => Date.now());
  const fetchImpl = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const emitter = new Emitter();
  const session = new AuthSession({
    baseUrl,
    transport,
    fetch: fetchImpl,
    state: new SessionStateStore(storage, `${prefix}.session`),
    lock: createTabLock({
      name: `${scope}.refresh`,
      storage,
      maxHoldMs: REFRESH_TIMEOUT_MS + 2_000,
      channel,
      now,
    }),
    channel,
    emitter,
    refreshSkewMs: (options.refreshSkewSeconds ?? DEFAULT_SKEW_S) * 1000,
    refreshTimeoutMs: REFRESH_TIMEOUT_MS,
    now,
  });
  const publicApi = createClient<paths>({ baseUrl, fetch: session.sendPublic });
  const api = createClient<paths>({ baseUrl, fetch: session.sendAuthenticated });

  /** A token response signs in; an `mfa_required` problem asks for the second step. */
  function signedInOrSecondStep(outcome: Outcome<Schemas['TokenResponseDto']>): LoginResult {
    if (outcome.response.ok && outcome.data) {
      const grant: TokenGrant = outcome.data;
      session.adopt(grant);
      const { user, session: current } = outcome.data;
      emitter.emit('signedIn', { userId: user.id, sessionId: current.id });
      return { status: 'signed_in', user, session: current };
    }
    const error = toError(outcome);
    if (error.code === 'mfa_required') {
      const problem = error.problem as unknown as Schemas['MfaRequiredProblemDto'];
      return {
        status: 'mfa_required',
        mfaToken: problem.mfaToken,
        methods: problem.methods,
        expiresIn: problem.expiresIn,
      };
    }
    throw error;
  }

  async function endSession(outcome: Outcome<unknown>, reason: string): Promise<void> {
    // Already ended elsewhere: the goal (signed out) is reached either way.
    if (outcome.response.status !== 401) done(outcome);
    session.signOut(reason);
  }

  return {
    login: async ({ email, password, rememberMe, device }) =>
      signedInOrSecondStep(
        await publicApi.POST('/auth/login', {
          body: { email, password, rememberMe: rememberMe ?? false, device },
        }),
      ),
    verifyMfa: async ({ mfaToken, method, code }) =>
      signedInOrSecondStep(
        await publicApi.POST('/auth/mfa/verify', { body: { mfaToken, method, code } }),
      ),
    logout: async () => endSession(await api.POST('/auth/logout'), 'logout'),
    logoutAll: async () => endSession(await api.POST('/auth/logout-all'), 'logout_all'),
    me: async () => {
      const me = unwrap(await api.GET('/auth/me'));
      session.markSignedIn();
      return me;
    },
    sessions: {
      list: async () => unwrap(await api.GET('/sessions')).items,
      revoke: async (id) => done(await api.DELETE('/sessions/{id}', { params: { path: { id } } })),
      revokeOthers: async () => done(await api.DELETE('/sessions')),
    },
    devices: {
      list: async () => unwrap(await api.GET('/devices')).items,
      rename: async (id, name) =>
        done(await api.PATCH('/devices/{id}', { params: { path: { id } }, body: { name } })),
      trust: async (id) =>
        done(await api.POST('/devices/{id}/trust', { params: { path: { id } } })),
      untrust: async (id) =>
        done(await api.DELETE('/devices/{id}/trust', { params: { path: { id } } })),
      forget: async (id) => done(await api.DELETE('/devices/{id}', { params: { path: { id } } })),
    },
    request: api,
    on: (event, listener) => emitter.on(event, listener),
    close: () => {
      session.close();
      channel?.close();
    },
  };
}
