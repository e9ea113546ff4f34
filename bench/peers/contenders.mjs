// Every contender: how it is labelled, which module sets it up, and which packages it stands for.
// `kind`: 'm3ter-auth' rows are checked (a miss fails the run); 'diy' is what a careful user writes by hand
// with plain fetch (written here, the strongest thing to beat without a library); 'peer' rows are other
// libraries set up as their own docs advise; 'baseline' rows are plain reproductions of the official SDKs'
// documented token handling, written here (the SDKs themselves are not on the npm registry this bench
// installs from).
// `clock`: 'injected' takes the bench's manual clock; 'Date.now' reads Date.now(), pinned to that clock.
// `worker`: false where the client needs Node's own modules (no Worker bundle to measure).
export const CONTENDERS = [
  m3terAuth('fetch', []),
  m3terAuth('axios', ['axios']),
  m3terAuth('got', ['got'], { worker: false }),
  m3terAuth('ky', ['ky']),
  m3terAuth('undici', ['undici'], { worker: false }),
  {
    id: 'diy-fetch',
    label: 'do it yourself: fetch',
    setup: 'single flight, 5 min refresh window, one retry on 401/403',
    kind: 'diy',
    module: 'diy-fetch.mjs',
    packages: [],
    clock: 'Date.now',
    worker: true,
  },
  {
    id: 'badgateway-oauth2-client',
    label: '@badgateway/oauth2-client',
    setup: 'OAuth2Fetch + clientCredentials()',
    kind: 'peer',
    module: 'badgateway-oauth2-client.mjs',
    packages: ['@badgateway/oauth2-client'],
    clock: 'Date.now',
    worker: true,
  },
  {
    id: 'axios-auth-refresh-401',
    label: 'axios-auth-refresh',
    setup: 'README token cache, statusCodes default [401]',
    kind: 'peer',
    module: 'axios-auth-refresh.mjs',
    packages: ['axios-auth-refresh', 'axios'],
    clock: 'none needed',
    worker: true,
  },
  {
    id: 'axios-auth-refresh-403',
    label: 'axios-auth-refresh',
    setup: 'README token cache, statusCodes [401, 403]',
    kind: 'peer',
    module: 'axios-auth-refresh.mjs',
    options: { statusCodes: [401, 403] },
    packages: ['axios-auth-refresh', 'axios'],
    clock: 'none needed',
    worker: true,
  },
  {
    id: 'simple-oauth2',
    label: 'simple-oauth2',
    setup: "README cache: expired(300), credentialsEncodingMode 'loose'",
    kind: 'peer',
    module: 'simple-oauth2.mjs',
    packages: ['simple-oauth2'],
    clock: 'Date.now',
    worker: false,
  },
  {
    id: 'oauth4webapi',
    label: 'oauth4webapi',
    setup: 'its client credentials example, no cache',
    kind: 'peer',
    module: 'oauth4webapi.mjs',
    packages: ['oauth4webapi'],
    clock: 'none needed',
    worker: true,
  },
  {
    id: 'baseline-typescript-sdk',
    label: 'baseline: TypeScript SDK',
    setup: 'cache, 300 s early refresh, no single flight',
    kind: 'baseline',
    module: 'baseline-typescript-sdk.mjs',
    packages: [],
    clock: 'Date.now',
    worker: true,
  },
  {
    id: 'baseline-java-sdk',
    label: 'baseline: Java SDK',
    setup: 'a new token for every call',
    kind: 'baseline',
    module: 'baseline-java-sdk.mjs',
    packages: [],
    clock: 'none needed',
    worker: true,
  },
]

function m3terAuth(client, clientPackages, { worker = true } = {}) {
  return {
    id: `m3ter-auth-${client}`,
    label: `m3ter-auth + ${client}`,
    setup: `@m3ter-auth/${client} README`,
    kind: 'm3ter-auth',
    module: `m3ter-auth-${client}.mjs`,
    packages: ['@m3ter-auth/core', `@m3ter-auth/${client}`, ...clientPackages],
    clock: 'injected',
    worker,
  }
}

/** The contender with this id; throws on an unknown one. */
export function contenderById(id) {
  const found = CONTENDERS.find((c) => c.id === id)
  if (!found) throw new Error(`unknown contender ${id}; known: ${CONTENDERS.map((c) => c.id).join(', ')}`)
  return found
}
