import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import { bearer, login, register, uniqueEmail } from './support/auth-client';
import { ADMIN_SETUP_TIMEOUT_MS, type AdminSession, signedInAdmin } from './support/admin-session';
import { freePort } from './support/nginx-gateway';
import { createTestApp, type TestApp } from './support/test-app';

/** oauth4webapi's own User-Agent would look like a hijack of the test user's session. */
const USER_AGENT = 'TesseraInterop/1.0';

/**
 * Interop with an independent, maintained OAuth client library (oauth4webapi), over real HTTP:
 * the app listens on a port and PUBLIC_URL (so the issuer) is its own URL. No request here is
 * hand-written: the library builds and checks every one.
 */
describe('OAuth interop with oauth4webapi (RFC 8414, 6749, 7009, 7662, 7523)', () => {
  let t: TestApp;
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  let admin: AdminSession;
  let options: { headers: Record<string, string>; [oauth.allowInsecureRequests]: true };

  beforeAll(async () => {
    const port = await freePort();
    issuer = new URL(`http://127.0.0.1:${port}`);
    t = await createTestApp({ env: { PUBLIC_URL: issuer.href, REFRESH_REUSE_GRACE: '0s' } });
    await t.app.listen(port, '127.0.0.1');
    // Plain http on loopback only: the library refuses it without this flag.
    options = { headers: { 'user-agent': USER_AGENT }, [oauth.allowInsecureRequests]: true };
    admin = await signedInAdmin(t);
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  /** The server's (manual) clock may be ahead of this process's: tell the client. */
  function client(clientId: string): oauth.Client {
    return {
      client_id: clientId,
      [oauth.clockSkew]: Math.round((t.clock.nowMs() - Date.now()) / 1000),
    };
  }

  async function registerClient(body: Record<string, unknown>): Promise<{
    clientId: string;
    clientSecret?: string;
  }> {
    const res = await t.http
      .post('/admin/service-clients')
      .set(...bearer(admin.accessToken))
      .send(body)
      .expect(201);
    return res.body as { clientId: string; clientSecret?: string };
  }

  async function userTokens(): Promise<{ accessToken: string; refreshToken: string }> {
    const email = uniqueEmail('interop');
    await register(t, email);
    return login(t, email, {}, USER_AGENT);
  }

  it('discovers the metadata: absolute issuer (PUBLIC_URL) and endpoints, accepted as is', async () => {
    const response = await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' });
    as = await oauth.processDiscoveryResponse(issuer, response);
    const base = issuer.href.replace(/\/$/, '');
    expect(as.issuer).toBe(base);
    expect(as).toMatchObject({
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      introspection_endpoint: `${base}/oauth/introspect`,
      jwks_uri: `${base}/.well-known/jwks.json`,
    });
    expect(as.grant_types_supported).toEqual(['refresh_token', 'client_credentials']);
    expect(as.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['none', 'client_secret_basic', 'private_key_jwt']),
    );
    expect(as.introspection_endpoint_auth_methods_supported).not.toContain('none');
  });

  it('refreshes as a public client, and the access token carries the issuer as iss', async () => {
    const { accessToken, refreshToken } = await userTokens();
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client('mobile-app'),
      oauth.None(),
      refreshToken,
      options,
    );
    const granted = await oauth.processRefreshTokenResponse(as, client('mobile-app'), response);
    expect(granted.token_type).toBe('bearer');
    expect(granted.refresh_token).toBeTruthy();
    expect(granted.refresh_token).not.toBe(refreshToken);
    for (const token of [accessToken, granted.access_token]) {
      const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
      expect(payload.iss).toBe(as.issuer);
    }
  });

  it('introspects with client_secret_basic (a service client)', async () => {
    const svc = await registerClient({ name: 'interop-basic', scopes: ['tokens:introspect'] });
    const user = await userTokens();
    const auth = oauth.ClientSecretBasic(svc.clientSecret ?? '');
    const active = await oauth.processIntrospectionResponse(
      as,
      client(svc.clientId),
      await oauth.introspectionRequest(as, client(svc.clientId), auth, user.accessToken, options),
    );
    expect(active).toMatchObject({ active: true, token_type: 'access_token', iss: as.issuer });
    const inactive = await oauth.processIntrospectionResponse(
      as,
      client(svc.clientId),
      await oauth.introspectionRequest(as, client(svc.clientId), auth, 'not-a-token', options),
    );
    expect(inactive).toEqual({ active: false });

    const refused = oauth.processIntrospectionResponse(
      as,
      client(svc.clientId),
      await oauth.introspectionRequest(
        as,
        client(svc.clientId),
        oauth.ClientSecretBasic('wrong'),
        user.accessToken,
        options,
      ),
    );
    // A wrong secret: the library surfaces the RFC 6749 §5.2 Basic challenge of the 401, and
    // the body (JSON, as the library asked for) says invalid_client.
    const error = await refused.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = error as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0].scheme).toBe('basic');
    expect(challenge.response.headers.get('content-type')).toContain('application/json');
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('introspects with private_key_jwt (RFC 7523 assertion signed by the client key)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'interop-1', alg: 'ES256' };
    const svc = await registerClient({
      name: 'interop-key',
      scopes: ['tokens:introspect'],
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] },
    });
    const auth = oauth.PrivateKeyJwt({ key: privateKey, kid: 'interop-1' });
    const user = await userTokens();
    for (const token of [user.accessToken, user.refreshToken]) {
      const result = await oauth.processIntrospectionResponse(
        as,
        client(svc.clientId),
        await oauth.introspectionRequest(as, client(svc.clientId), auth, token, options),
      );
      expect(result.active).toBe(true);
    }
  });

  it('gets a client_credentials token and introspects with it as a bearer', async () => {
    const svc = await registerClient({ name: 'interop-cc', scopes: ['tokens:introspect'] });
    const granted = await oauth.processClientCredentialsResponse(
      as,
      client(svc.clientId),
      await oauth.clientCredentialsGrantRequest(
        as,
        client(svc.clientId),
        oauth.ClientSecretBasic(svc.clientSecret ?? ''),
        { scope: 'tokens:introspect' },
        options,
      ),
    );
    expect(granted).toMatchObject({ token_type: 'bearer', scope: 'tokens:introspect' });
    expect(granted.refresh_token).toBeUndefined();
    const user = await userTokens();
    const res = await t.http
      .post('/oauth/introspect')
      .set(...bearer(granted.access_token))
      .send({ token: user.accessToken })
      .expect(200);
    expect(res.body.active).toBe(true);
  });

  it('revokes: the holder as a public client, and a service client with tokens:revoke', async () => {
    const own = await userTokens();
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client('mobile-app'), oauth.None(), own.refreshToken, {
        ...options,
        additionalParameters: { token_type_hint: 'refresh_token' },
      }),
    );
    const gone = await t.http
      .get('/auth/me')
      .set(...bearer(own.accessToken))
      .expect(401);
    expect(gone.body.code).toBe('session_revoked');

    const svc = await registerClient({ name: 'interop-revoker', scopes: ['tokens:revoke'] });
    const other = await userTokens();
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(
        as,
        client(svc.clientId),
        oauth.ClientSecretPost(svc.clientSecret ?? ''),
        other.accessToken,
        options,
      ),
    );
    await t.http
      .get('/auth/me')
      .set(...bearer(other.accessToken))
      .expect(401);
  });
});
