// A real OpenID Connect provider (npm oidc-provider) on loopback for the
// key-source tests: discovery, a JWKS, client_credentials tokens as RS256
// JWT access tokens for the resource api://scopegate, and a counter of
// JWKS fetches at /__stats. A new key is generated at every start, so a
// restart is a key rotation.
//
//   node provider.mjs PORT            (OIDC_PROVIDER_PATH: oidc-provider's lib/index.js)
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const { default: Provider } = await import(pathToFileURL(process.env.OIDC_PROVIDER_PATH).href);
const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'svc',
    client_secret: 'svc-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  }],
  jwks: { keys: [jwk] },
  scopes: ['pets.read', 'pets.write'],
  ttl: { ClientCredentials: 600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No resource asked for: an opaque token (introspectable); resource=api://scopegate: a JWT.
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'pets.read pets.write',
        audience: 'api://scopegate',
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

let jwksFetches = 0;
provider.use(async (ctx, next) => {
  if (ctx.path === '/__stats') {
    ctx.body = { jwks_fetches: jwksFetches, kid: jwk.kid };
    return;
  }
  if (ctx.path === '/jwks') jwksFetches += 1;
  await next();
});

provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer} ${jwk.kid}`));
