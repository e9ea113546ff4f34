// The packages as a user gets them: pack every published package, install the tarballs into fresh projects
// outside the workspace (ESM, CommonJS, TypeScript with moduleResolution node16 and bundler, a Workers-style
// project without @types/node, and the oldest client versions the peer ranges allow), then typecheck and run
// every README example against the mock m3ter that the packed CLI starts. Any failure fails the run.
//
//   node scripts/tarball-test.mjs [--keep]    (build first: prepack refuses to pack without one)
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { startRedisServer } from '../packages/redis/test/redis-server.mjs'
import { againstMock, readmeExamples } from './lib/readme-examples.mjs'
import { publicPackages, root, workspacePackages } from './lib/workspace.mjs'

const keep = process.argv.includes('--keep')
const work = mkdtempSync(join(tmpdir(), 'm3ter-auth-tarballs-'))
let failures = 0
const ok = (what) => console.log(`ok   ${what}`)
const fail = (what, detail = '') => {
  failures++
  console.log(`FAIL ${what}${detail ? `\n${String(detail).trimEnd().replace(/^/gm, '     ')}` : ''}`)
}
const run = (cmd, args, options = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options })
const attempt = (what, fn) => {
  try {
    fn()
    ok(what)
    return true
  } catch (error) {
    fail(what, `${error.stdout ?? ''}${error.stderr ?? ''}` || error.message)
    return false
  }
}

// Client versions: the newest that run on Node 20, and each peer range's floor (tested here too, so a floor
// whose types do not fit the README examples fails).
const devVersion = (pkg, name) =>
  publicPackages().find((p) => p.name === pkg)?.manifest.devDependencies?.[name]
const newest = {
  axios: devVersion('@m3ter-auth/axios', 'axios'),
  got: devVersion('@m3ter-auth/got', 'got'),
  ky: devVersion('@m3ter-auth/ky', 'ky'),
  undici: devVersion('@m3ter-auth/undici', 'undici'),
}
const floorOf = (pkg, name) => devVersion(pkg, `${name}-floor`)?.replace(`npm:${name}@`, '')
const floors = {
  axios: floorOf('@m3ter-auth/axios', 'axios'),
  got: floorOf('@m3ter-auth/got', 'got'),
  ky: floorOf('@m3ter-auth/ky', 'ky'),
  undici: floorOf('@m3ter-auth/undici', 'undici'),
}
const rootDev = (name) => {
  const manifest = JSON.parse(run('node', ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: root }))
  return manifest.dependencies?.[name] ?? manifest.devDependencies?.[name]
}
const tooling = { typescript: rootDev('typescript'), '@types/node': rootDev('@types/node') }

// 1. Pack, and check what each tarball carries.
const packs = join(work, 'packs')
mkdirSync(packs)
const tarballs = {}
for (const pkg of publicPackages()) {
  const before = new Set(readdirSync(packs))
  try {
    run('pnpm', ['pack', '--pack-destination', packs], { cwd: pkg.dir })
  } catch (error) {
    fail(`pack ${pkg.name}`, `${error.stdout}${error.stderr}`)
    continue
  }
  const file = readdirSync(packs).find((f) => !before.has(f))
  tarballs[pkg.name] = join(packs, file)
  const listing = run('tar', ['-tzf', tarballs[pkg.name]]).split('\n')
  const manifest = JSON.parse(run('tar', ['-xzOf', tarballs[pkg.name], 'package/package.json']))
  const problems = [
    ...['package/LICENSE', 'package/README.md'].filter((f) => !listing.includes(f)).map((f) => `no ${f}`),
    ...['repository', 'homepage', 'bugs', 'keywords', 'author']
      .filter((k) => !manifest[k])
      .map((k) => `no "${k}"`),
    ...(manifest.license === 'MIT' ? [] : ['license is not MIT']),
    ...(JSON.stringify(manifest).includes('workspace:') ? ['a workspace: range survived packing'] : []),
    ...(listing.some((f) => f.startsWith('package/dist/')) ? [] : ['no dist/']),
    ...(listing.some((f) => f.endsWith('.js.map')) ? [] : ['no source maps']),
  ]
  if (problems.length === 0) ok(`pack ${pkg.name}: LICENSE, README, metadata, dist, source maps`)
  else fail(`pack ${pkg.name}`, problems.join('\n'))
}

// 2. Fresh projects outside the workspace; the tarballs stand in for the registry's @m3ter-auth/*.
const overrides = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]))
function project(name, { type = 'module', clients = newest, extra = {} } = {}) {
  const dir = join(work, name)
  mkdirSync(dir)
  const dependencies = { ...overrides, ...clients, ...extra }
  for (const [key, value] of Object.entries(dependencies)) if (value === undefined) delete dependencies[key]
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `tarball-${name}`, private: true, type, dependencies, overrides }, null, 2)}\n`,
  )
  const installed = attempt(
    `${name}: npm install of the tarballs and ${Object.keys(clients).join(', ') || 'no client'}`,
    () =>
      run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
        cwd: dir,
      }),
  )
  return installed ? dir : undefined
}
const tsconfig = (dir, compilerOptions, include) =>
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2022', strict: true, skipLibCheck: false, ...compilerOptions },
      include,
    }),
  )
// What a Node project's tsconfig usually has; the Workers project below has less on purpose.
const userLib = ['es2022', 'dom', 'dom.iterable']
const tsc = (dir, args = []) => run(join(dir, 'node_modules/.bin/tsc'), ['-p', '.', ...args], { cwd: dir })

const allExamples = readmeExamples()
for (const example of allExamples.filter((e) => e.mode !== 'run' && !e.reason))
  fail(
    `${example.source}: a ts ${example.mode} block must say why in its info string (\`\`\`ts ${example.mode}: <why>)`,
  )
for (const example of allExamples.filter((e) => e.skip))
  console.log(`skip ${example.source}: not-tested: ${example.reason}`)
const countOf = (mode) => allExamples.filter((e) => e.mode === mode).length
console.log(
  `README blocks: ${countOf('run')} run, ${countOf('typecheck-only')} typechecked only, ${countOf('not-tested')} not run`,
)
const examples = allExamples.filter((e) => !e.skip)
const clientNames = Object.keys(newest)
const usesOnly = (example, allowed) =>
  example.imports.every(
    (spec) => spec.startsWith('@m3ter-auth/') || allowed.includes(spec) || spec.startsWith('node:'),
  )

// The mock, started by the packed CLI, as a user following the CLI's README would.
async function startMock(dir) {
  const child = spawn(
    process.execPath,
    [join(dir, 'node_modules/@m3ter-auth/cli/dist/bin.js'), 'mock', '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`m3ter-auth mock exited with ${code}`)))
  })
  return { info: JSON.parse(line), stop: () => child.kill() }
}

// What the examples read: the mock's key, organisation and URLs, and the provider options pointing at it.
function mockEnv(info, dir) {
  return {
    ...process.env,
    M3TER_API_KEY: info.accessKeyId,
    M3TER_API_SECRET: info.apiSecret,
    // The key-rotation recipe's second key: the mock started by the CLI has one, which serves as both.
    M3TER_NEXT_API_KEY: info.accessKeyId,
    M3TER_NEXT_API_SECRET: info.apiSecret,
    M3TER_ORG_ID: info.orgId,
    M3TER_MOCK_API_URL: info.apiUrl,
    M3TER_MOCK_INGEST_URL: info.ingestUrl,
    M3TER_MOCK_PROVIDER_OPTIONS: JSON.stringify({
      tokenUrl: info.tokenUrl,
      scope: [info.apiUrl, info.ingestUrl],
    }),
    XDG_CACHE_HOME: join(dir, '.cache'),
  }
}

// Typechecks `list` in `dir` as one program (an error names the example's file: its README and line are in
// the id). With `runs`, the runnable ones are compiled pointed at the mock and each runs against the mock
// that the packed CLI starts.
async function checkExamples(dir, label, list, resolution, { what, runs = false }) {
  const compilerOptions = { ...resolution, types: ['node'], lib: userLib }
  mkdirSync(join(dir, 'examples'))
  for (const example of list) writeFileSync(join(dir, 'examples', `${example.id}.ts`), example.code)
  tsconfig(dir, { ...compilerOptions, noEmit: true }, ['examples'])
  attempt(`${label}: ${what}`, () => tsc(dir, ['--pretty', 'false']))
  if (!runs) return
  const runnable = list.filter((e) => e.run)
  mkdirSync(join(dir, 'run'))
  for (const example of runnable)
    writeFileSync(join(dir, 'run', `${example.id}.ts`), againstMock(example.code))
  writeFileSync(
    join(dir, 'tsconfig.run.json'),
    JSON.stringify({
      compilerOptions: { target: 'es2022', ...compilerOptions, outDir: 'run-out', noCheck: true },
      include: ['run'],
    }),
  )
  attempt(`${label}: compiles the examples pointed at the mock`, () => tsc(dir, ['-p', 'tsconfig.run.json']))
  const { info, stop } = await startMock(dir)
  // The Redis store's examples run against a real redis-server (Debian's, as the store's own tests use).
  const needsRedis = runnable.some((e) => e.imports.some((spec) => spec === 'ioredis' || spec === 'redis'))
  const redis = needsRedis ? await startRedisServer() : undefined
  const env = { ...mockEnv(info, dir), ...(redis ? { REDIS_URL: redis.url } : {}) }
  try {
    for (const example of runnable)
      attempt(`${label}: runs ${example.source} against the mock`, () =>
        run(process.execPath, [join(dir, 'run-out', `${example.id}.js`)], { cwd: dir, env, timeout: 60_000 }),
      )
  } finally {
    stop()
    await redis?.stop()
  }
}

// Other packages the examples import (an OpenTelemetry SDK, say), at the version the workspace pins.
const pinned = {}
for (const pkg of workspacePackages())
  for (const field of ['dependencies', 'devDependencies'])
    for (const [name, spec] of Object.entries(pkg.manifest[field] ?? {}))
      if (/^\d/.test(spec)) pinned[name] ??= spec
for (const field of ['dependencies', 'devDependencies'])
  for (const [name, spec] of Object.entries(
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))[field] ?? {},
  ))
    if (/^\d/.test(spec)) pinned[name] ??= spec
// ... and the peers of the m3ter-auth packages they import (vitest for the testkit, whose types name it).
const peersOf = (spec) =>
  Object.keys(publicPackages().find((pkg) => pkg.name === spec)?.manifest.peerDependencies ?? {})
const exampleDeps = {}
const imported = examples.flatMap((e) => e.imports)
for (const spec of [...imported, ...imported.filter((s) => s.startsWith('@m3ter-auth/')).flatMap(peersOf)]) {
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
  if (name.startsWith('@m3ter-auth/') || spec.startsWith('node:') || name in newest) continue
  if (pinned[name]) exampleDeps[name] = pinned[name]
  else fail(`README examples import ${name}, which no workspace package pins`)
}

// ESM + TypeScript node16: every README example typechecks as written and runs against the mock.
const node16 = { module: 'node16', moduleResolution: 'node16' }
const esm = project('esm-node16', { extra: { ...tooling, ...exampleDeps } })
if (esm)
  await checkExamples(esm, 'esm-node16', examples, node16, {
    what: `${examples.length} README examples typecheck`,
    runs: true,
  })

// TypeScript moduleResolution bundler: the same examples typecheck.
const bundlerResolution = { module: 'esnext', moduleResolution: 'bundler' }
const bundler = project('ts-bundler', { extra: { ...tooling, ...exampleDeps } })
if (bundler)
  await checkExamples(bundler, 'ts-bundler', examples, bundlerResolution, {
    what: 'every README example typechecks',
  })

// CommonJS: every package with a require condition loads through require(), works against the mock, and an
// error made by the ESM copy of core is an instance of the CJS copy's class (and the reverse).
const cjs = project('cjs', { type: 'commonjs', extra: {} })
if (cjs) {
  const requirable = publicPackages()
    .filter((pkg) => JSON.stringify(pkg.manifest.exports ?? {}).includes('"require"'))
    .map((pkg) => pkg.name)
  writeFileSync(
    join(cjs, 'smoke.cjs'),
    `const assert = require('node:assert/strict')
const names = ${JSON.stringify(requirable)}
for (const name of names) assert.equal(typeof require(name), 'object', name)
const core = require('@m3ter-auth/core')
const { withM3terAuth } = require('@m3ter-auth/fetch')
;(async () => {
  const esmCore = await import('@m3ter-auth/core')
  assert.notEqual(esmCore.M3terAuthError, core.M3terAuthError, 'two copies of core are loaded')
  assert.ok(new esmCore.M3terAuthError('timeout', 'x') instanceof core.M3terAuthError, 'ESM error instanceof CJS class')
  assert.ok(new core.M3terAuthError('timeout', 'x') instanceof esmCore.M3terAuthError, 'CJS error instanceof ESM class')
  assert.ok(!(new Error('x') instanceof core.M3terAuthError), 'a plain Error is not one')
  // Printed by its own name from either build (a bundler's rename printed it as _M3terAuthError).
  for (const build of [core, esmCore]) assert.equal(build.M3terAuthError.name, 'M3terAuthError', 'the class name')
  const options = JSON.parse(process.env.M3TER_MOCK_PROVIDER_OPTIONS)
  const auth = core.createTokenProvider(options)
  // Both entry points of one format share one copy of core: its error class and its request policy.
  for (const [main, internals] of [[core, require('@m3ter-auth/core/internals')], [esmCore, await import('@m3ter-auth/core/internals')]]) {
    assert.throws(() => internals.validateCredentials({}, 'x'), (e) => e.constructor === main.M3terAuthError, 'one error class')
    const shared = main.createTokenProvider(options)
    assert.ok(shared.inScope(options.tokenUrl), 'the token endpoint of the mock is in scope')
    assert.equal(internals.shouldAuthorize(shared, options.tokenUrl), false, 'the request policy knows the provider')
    await shared.close()
  }
  const res = await withM3terAuth(auth)(process.env.M3TER_MOCK_API_URL + '/organizations/' + process.env.M3TER_ORG_ID + '/meters')
  assert.equal(res.status, 200)
  await auth.close()
})().catch((error) => { console.error(error); process.exitCode = 1 })
`,
  )
  const mock = await startMock(cjs)
  try {
    attempt(
      `cjs: require() of ${requirable.length} packages, a request through the mock, instanceof across ESM and CJS`,
      () =>
        run(process.execPath, ['smoke.cjs'], {
          cwd: cjs,
          timeout: 60_000,
          env: mockEnv(mock.info, cjs),
        }),
    )
  } finally {
    mock.stop()
  }
}

// Workers-style: lib es2022 + dom, no @types/node. Core and fetch must typecheck there.
const workers = project('workers', { clients: {}, extra: { typescript: tooling.typescript } })
if (workers) {
  mkdirSync(join(workers, 'src'))
  writeFileSync(
    join(workers, 'src/worker.ts'),
    `import { createTokenProvider, isM3terAuthError, type TokenProvider } from '@m3ter-auth/core'
import { withM3terAuth } from '@m3ter-auth/fetch'

interface Env { M3TER_API_KEY: string; M3TER_API_SECRET: string; M3TER_ORG_ID: string }
let auth: TokenProvider | undefined

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    auth ??= createTokenProvider({ credentials: { accessKeyId: env.M3TER_API_KEY, apiSecret: env.M3TER_API_SECRET } })
    try {
      const m3terFetch = withM3terAuth(auth)
      return await m3terFetch(\`https://api.m3ter.com/organizations/\${env.M3TER_ORG_ID}/meters\`)
    } catch (error) {
      if (isM3terAuthError(error)) return new Response(error.code, { status: 502 })
      throw error
    }
  },
}
`,
  )
  tsconfig(
    workers,
    { module: 'esnext', moduleResolution: 'bundler', lib: ['es2022', 'dom'], types: [], noEmit: true },
    ['src'],
  )
  attempt('workers: core and fetch typecheck with lib es2022 + dom and no @types/node', () =>
    tsc(workers, ['--pretty', 'false']),
  )
}

// The peer ranges' floors: the client examples typecheck and run on the oldest versions the ranges allow.
const floorExamples = examples.filter(
  (e) => e.run && e.imports.some((spec) => clientNames.includes(spec)) && usesOnly(e, clientNames),
)
const floor = project('floors', { clients: floors, extra: tooling })
if (floor) {
  const versions = Object.entries(floors).map(([n, v]) => `${n} ${v}`)
  await checkExamples(floor, 'floors', floorExamples, node16, {
    what: `${floorExamples.length} client examples typecheck on ${versions.join(', ')}`,
    runs: true,
  })
}

if (!keep) rmSync(work, { recursive: true, force: true })
else console.log(`kept ${work}`)
console.log(`\ntarball test: ${examples.length} README examples, ${Object.keys(tarballs).length} packages`)
console.log(failures === 0 ? 'tarball test passed' : `tarball test: ${failures} failed`)
process.exit(failures === 0 ? 0 : 1)
