import type { FetchLike } from './revocation-feed-client';

/** A registered Tessera service client (client_secret_basic). */
export interface ServiceClientCredentials {
  clientId: string;
  clientSecret: string;
  /**
   * Default: the `token_endpoint` of `<baseUrl>/.well-known/oauth-authorization-server`
   * (RFC 8414), reached at baseUrl when it names the issuer's address.
   */
  tokenUrl?: string;
  /** Narrow the token to these scopes (space-separated). Default: all the client holds. */
  scope?: string;
}

/** Where a bearer credential comes from: a fixed value, or a function that may refresh it. */
export type CredentialSource = () => string | Promise<string>;

export interface CredentialProvider {
  /** The credential to send now. */
  get(): Promise<string>;
  /**
   * Tessera answered 401 to `credential`: forget it, so the next get() fetches another.
   * Returns whether a retry can present a different credential.
   */
  refused(credential: string): boolean;
}

export interface ServiceTokenContext {
  issuer: string;
  baseUrl: string | undefined;
  fetch: FetchLike;
  now: () => number;
}

/** Refresh this long before expiry (at most a fifth of the token's life). */
const REFRESH_SKEW_MS = 60_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** The shared secret: a second try after a 401 would present the same value. */
export function sharedSecret(secret: string): CredentialProvider {
  return { get: async () => secret, refused: () => false };
}

/** A caller-supplied credential: after a 401 it is asked again, and may hand out a new one. */
export function callerCredential(source: CredentialSource): CredentialProvider {
  return { get: async () => source(), refused: () => true };
}

interface HeldToken {
  value: string;
  refreshAtMs: number;
}

/**
 * client_credentials tokens for a service client: fetched on first use, reused until shortly
 * before they expire, fetched again after a 401, and never fetched twice at once.
 */
export function serviceClientCredential(
  client: ServiceClientCredentials,
  context: ServiceTokenContext,
): CredentialProvider {
  let held: HeldToken | undefined;
  let inFlight: Promise<HeldToken> | undefined;
  let tokenUrl: Promise<string> | undefined;

  const fetchToken = async (): Promise<HeldToken> => {
    tokenUrl ??= resolveTokenUrl(client, context).catch((error: unknown) => {
      tokenUrl = undefined; // retried on the next attempt
      throw error;
    });
    const url = await tokenUrl;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (client.scope) body.set('scope', client.scope);
    const res = await context.fetch(url, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(client.clientId, client.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: body.toString(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (res.status !== 200 || typeof answer.access_token !== 'string') {
      const code = typeof answer.error === 'string' ? ` ${answer.error}` : '';
      throw new Error(`the token endpoint answered ${res.status}${code}`);
    }
    const lifetimeMs = (typeof answer.expires_in === 'number' ? answer.expires_in : 300) * 1000;
    const skewMs = Math.min(REFRESH_SKEW_MS, lifetimeMs / 5);
    return { value: answer.access_token, refreshAtMs: context.now() + lifetimeMs - skewMs };
  };

  return {
    async get() {
      if (held && context.now() < held.refreshAtMs) return held.value;
      inFlight ??= fetchToken().finally(() => (inFlight = undefined));
      held = await inFlight;
      return held.value;
    },
    refused(credential) {
      if (held?.value === credential) held = undefined;
      return true;
    },
  };
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before Base64. */
function basicAuthorization(id: string, secret: string): string {
  const form = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${btoa(`${form(id)}:${form(secret)}`)}`;
}

/**
 * The token endpoint from the issuer's metadata. The metadata names endpoints under the public
 * issuer; a verifier told to reach Tessera at another baseUrl (an internal address) asks there.
 */
async function resolveTokenUrl(
  client: ServiceClientCredentials,
  context: ServiceTokenContext,
): Promise<string> {
  if (client.tokenUrl) return client.tokenUrl;
  if (!context.baseUrl)
    throw new Error('@tessera/verifier: set baseUrl (or the client’s tokenUrl)');
  const res = await context.fetch(`${context.baseUrl}/.well-known/oauth-authorization-server`, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status !== 200) throw new Error(`the issuer metadata answered ${res.status}`);
  const metadata = (await res.json()) as { issuer?: unknown; token_endpoint?: unknown };
  // RFC 8414 §3.3: the metadata must name the issuer it is for.
  if (metadata.issuer !== context.issuer)
    throw new Error(`the issuer metadata is for ${String(metadata.issuer)}`);
  if (typeof metadata.token_endpoint !== 'string')
    throw new Error('the issuer metadata names no token_endpoint');
  return rebase(metadata.token_endpoint, context);
}

function rebase(endpoint: string, context: ServiceTokenContext): string {
  const issuer = context.issuer.replace(/\/+$/, '');
  if (!context.baseUrl || !/^https?:\/\//.test(issuer) || !endpoint.startsWith(`${issuer}/`))
    return endpoint;
  return `${context.baseUrl}${endpoint.slice(issuer.length)}`;
}
