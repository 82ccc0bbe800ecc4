import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { VerifierError } from './errors';
import { type FeedState, type FetchLike, RevocationFeedClient } from './revocation-feed-client';
import { RevocationSet } from './revocation-set';
import {
  type CredentialProvider,
  type CredentialSource,
  callerCredential,
  type ServiceClientCredentials,
  serviceClientCredential,
  type ServiceTokenContext,
  sharedSecret,
} from './service-token';

/** The claims of a verified Tessera access token (RFC 9068). */
export interface TesseraClaims extends JWTPayload {
  sub: string;
  /** The session: what revocation is about. */
  sid: string;
  roles: string[];
  iss: string;
  exp: number;
  iat: number;
  jti?: string;
  auth_time?: number;
  amr?: string[];
}

export interface IntrospectionOptions {
  /** Default: `<baseUrl>/oauth/introspect`. */
  url?: string;
  /** A service client holding tokens:introspect: its tokens are fetched and refreshed here. */
  client?: ServiceClientCredentials;
  /**
   * Or the bearer credential for POST /oauth/introspect, from your own source (a function, so
   * it can be refreshed). An admin account's access token works too, but is deprecated.
   */
  credential?: CredentialSource;
}

export interface RevocationOptions {
  /** Default: `<baseUrl>/oauth/revocations`. */
  url?: string;
  /** Tessera's REVOCATION_FEED_SECRET (the shared secret). Give this, client or credential. */
  secret?: string;
  /**
   * A registered service client holding revocations:read: the verifier fetches its
   * client_credentials tokens, and a new one before each expires or after a 401.
   */
  client?: ServiceClientCredentials;
  /** Or a bearer credential from your own source, asked again after a 401. */
  credential?: CredentialSource;
  /** How long the feed may be unheard before onStale applies, in ms. Default 30 s. */
  maxStaleness?: number;
  /** With a stale feed: refuse every token, or ask Tessera about each one (introspection). */
  onStale: 'fail-closed' | 'introspect';
  /** Required when onStale is 'introspect'. */
  introspection?: IntrospectionOptions;
  /** Reconnect backoff, in ms. Default 250 ms doubling up to 10 s. */
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  onStateChange?: (state: FeedState, detail?: string) => void;
}

export interface VerifierOptions {
  /** Tessera's JWT_ISSUER; pinned. */
  issuer: string;
  /** Tessera's JWT_AUDIENCE (or your own, if Tessera issues it); pinned. */
  audience: string | string[];
  /** Where Tessera answers, e.g. https://auth.example.com. Default: the issuer, if it is a URL. */
  baseUrl?: string;
  /** Default: `<baseUrl>/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** The algorithms Tessera signs with (JWT_ALGORITHM); anything else is refused. Default RS256. */
  algorithms?: string[];
  /** Allowed clock difference for exp/iat, in seconds. Default 5. */
  clockToleranceSeconds?: number;
  /**
   * Tokens claiming a longer life (exp − iat) are refused: revocations are only remembered this
   * long. Default 3600 s, Tessera's ACCESS_TOKEN_TTL maximum.
   */
  maxTokenLifetimeSeconds?: number;
  /** How long fetched keys are used before the JWKS is re-read, in ms. Default 10 min. */
  jwksCacheMaxAgeMs?: number;
  /** Subscribe to the revocation feed: without it, a revoked session's tokens work until exp. */
  revocations?: RevocationOptions;
  /** For tests and instrumentation: every request the verifier makes goes through this. */
  fetch?: FetchLike;
  /** Epoch milliseconds; for tests. */
  now?: () => number;
}

export interface Verifier {
  /** The token's claims, or a VerifierError with a code. No request to Tessera while the feed is fresh. */
  verify(token: string): Promise<TesseraClaims>;
  /** Resolves once the revocation feed has delivered its snapshot (at once without a feed). */
  ready(): Promise<void>;
  /** Stops the feed subscription. */
  close(): void;
  /** Whether the feed is fresh now (always true without a feed). */
  readonly feedFresh: boolean;
}

const REVOCATION_LEEWAY_MS = 60_000;

function resolveBase(options: VerifierOptions): string | undefined {
  const base =
    options.baseUrl ?? (/^https?:\/\//.test(options.issuer) ? options.issuer : undefined);
  return base?.replace(/\/+$/, '');
}

function endpoint(explicit: string | undefined, base: string | undefined, path: string): string {
  if (explicit) return explicit;
  if (!base) throw new Error(`@tessera/verifier: set baseUrl (or the URL for ${path})`);
  return `${base}${path}`;
}

function checkClaims(payload: JWTPayload, maxLifetime: number, tolerance: number): TesseraClaims {
  const { sub, sid, roles, iat, exp } = payload as Record<string, unknown>;
  const sound =
    typeof sub === 'string' &&
    typeof sid === 'string' &&
    sid !== '' &&
    Array.isArray(roles) &&
    roles.every((role) => typeof role === 'string') &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    exp > iat &&
    exp - iat <= maxLifetime + tolerance;
  if (!sound) throw new VerifierError('invalid_token');
  return payload as TesseraClaims;
}

function mapJoseError(error: unknown): VerifierError {
  if (error instanceof VerifierError) return error;
  if (error instanceof errors.JWTExpired) return new VerifierError('token_expired');
  return new VerifierError('invalid_token');
}

const kindsOf = (where: string): string =>
  where === 'revocations' ? 'secret, client, credential' : 'client, credential';

/** Exactly one of secret, client and credential: which bearer this verifier presents. */
function credentialProvider(
  where: string,
  given: { secret?: string; client?: ServiceClientCredentials; credential?: CredentialSource },
  context: ServiceTokenContext,
): CredentialProvider {
  const kinds = [given.secret, given.client, given.credential].filter((v) => v !== undefined);
  if (kinds.length !== 1)
    throw new Error(`@tessera/verifier: ${where} needs exactly one of: ${kindsOf(where)}`);
  if (given.client) return serviceClientCredential(given.client, context);
  if (given.credential) return callerCredential(given.credential);
  return sharedSecret(given.secret ?? '');
}

/** Creates a verifier for Tessera access tokens. Starts the feed subscription, if configured. */
export function createVerifier(options: VerifierOptions): Verifier {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const base = resolveBase(options);
  const algorithms = options.algorithms ?? ['RS256'];
  const tolerance = options.clockToleranceSeconds ?? 5;
  const maxLifetime = options.maxTokenLifetimeSeconds ?? 3600;
  const jwks = createRemoteJWKSet(
    new URL(endpoint(options.jwksUrl, base, '/.well-known/jwks.json')),
    {
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
      [customFetch]: (url, init) => doFetch(url, init),
    },
  );
  const tokenContext: ServiceTokenContext = {
    issuer: options.issuer,
    baseUrl: base,
    fetch: doFetch,
    now,
  };
  const feed = options.revocations && startFeed(options.revocations);
  const introspect = feed && makeIntrospection(options.revocations);
  const maxStaleness = options.revocations?.maxStaleness ?? 30_000;

  function startFeed(revocations: RevocationOptions): {
    client: RevocationFeedClient;
    set: RevocationSet;
  } {
    if (revocations.onStale === 'introspect' && !revocations.introspection)
      throw new Error('@tessera/verifier: onStale "introspect" needs revocations.introspection');
    const set = new RevocationSet(maxLifetime * 1000 + REVOCATION_LEEWAY_MS, now);
    const client = new RevocationFeedClient({
      url: endpoint(revocations.url, base, '/oauth/revocations'),
      credential: credentialProvider('revocations', revocations, tokenContext),
      set,
      fetch: doFetch,
      now,
      minDelayMs: revocations.reconnect?.minDelayMs ?? 250,
      maxDelayMs: revocations.reconnect?.maxDelayMs ?? 10_000,
      onStateChange: revocations.onStateChange,
    });
    client.start();
    return { client, set };
  }

  function makeIntrospection(
    revocations: RevocationOptions | undefined,
  ): ((token: string) => Promise<void>) | undefined {
    const config = revocations?.onStale === 'introspect' ? revocations.introspection : undefined;
    if (!config) return undefined;
    const url = endpoint(config.url, base, '/oauth/introspect');
    const credential = credentialProvider('revocations.introspection', config, tokenContext);
    const ask = async (bearer: string, token: string): Promise<Response> =>
      doFetch(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token }).toString(),
        signal: AbortSignal.timeout(5000),
      });
    return async (token) => {
      let active: unknown;
      try {
        const bearer = await credential.get();
        let res = await ask(bearer, token);
        // An expired or refused service token: one more try with a fresh one.
        if (res.status === 401 && credential.refused(bearer))
          res = await ask(await credential.get(), token);
        if (res.status !== 200) throw new Error(`introspection answered ${res.status}`);
        active = ((await res.json()) as { active?: unknown }).active;
      } catch {
        throw new VerifierError('revocation_feed_stale');
      }
      // The signature and lifetime already passed: inactive means the session ended.
      if (active !== true) throw new VerifierError('session_revoked');
    };
  }

  const isFresh = (): boolean => {
    const syncedAt = feed?.client.syncedAt;
    return !feed || (syncedAt !== undefined && now() - syncedAt <= maxStaleness);
  };

  return {
    async verify(token: string): Promise<TesseraClaims> {
      let claims: TesseraClaims;
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          typ: 'at+jwt',
          clockTolerance: tolerance,
          currentDate: new Date(now()),
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        claims = checkClaims(payload, maxLifetime, tolerance);
      } catch (error) {
        throw mapJoseError(error);
      }
      if (!feed) return claims;
      if (feed.set.has(claims.sid)) throw new VerifierError('session_revoked');
      if (isFresh()) return claims;
      if (!introspect) throw new VerifierError('revocation_feed_stale');
      await introspect(token);
      return claims;
    },
    ready: () => feed?.client.whenSynced ?? Promise.resolve(),
    close: () => feed?.client.close(),
    get feedFresh() {
      return isFresh();
    },
  };
}
