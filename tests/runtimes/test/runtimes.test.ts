// docs/contract.md §4.1–§4.6 and §4.9–§4.10 inside every runtime users put the fetch adapter in, on the built packages,
// plus each example pointed at the mock. Prints the table runtime x behaviour at the end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EdgeVM } from '@edge-runtime/vm'
import { afterAll, describe, expect, it } from 'vitest'
import { bundle, pathOf } from './bundle.ts'
import { runScriptExample } from './examples.ts'
import { type Harness, startHarness } from './harness.ts'
import { parseResults, type Result, run, unexpectedStderr } from './run.ts'

const IDS = ['1', '2', '3', '4', '5', '6', '9', '10']
const root = fileURLToPath(new URL('../../../', import.meta.url))
const bin = (name: string) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url))
const node22 = `${root}tools/nodes/node_modules/node22/bin/node`
const node24 = `${root}tools/nodes/node_modules/node24/bin/node`
const cli = pathOf.src('cli.js')

const table = new Map<string, Map<string, boolean>>()

function record(runtime: string, results: Result[]): void {
  const row = table.get(runtime) ?? new Map<string, boolean>()
  for (const r of results) row.set(r.id, r.pass)
  table.set(runtime, row)
}

/** Every behaviour reported, and passed; failures name the behaviour and why. */
function expectAllPass(results: Result[], ids: string[]): void {
  const failures = ids.flatMap((id) => {
    const r = results.find((x) => x.id === id)
    if (!r) return [`§4.${id}: no result (the runtime stopped or hung)`]
    return r.pass ? [] : [`§4.${id} ${r.name}: ${r.detail}`]
  })
  expect(failures).toEqual([])
}

/**
 * The edge VM runs in this process, so it has no stderr of its own: what its code writes with console.error
 * and console.warn is collected instead, to be held to the same rule.
 */
function capturingStderr<T extends object>(context: T, printed: string[]): T {
  const write = (...args: unknown[]) => void printed.push(args.map(String).join(' '))
  const own = (context as { console: object }).console
  return Object.assign(context, { console: Object.assign(Object.create(own), { error: write, warn: write }) })
}

async function withHarness<T>(body: (h: Harness) => Promise<T>): Promise<T> {
  const h = await startHarness()
  try {
    return await body(h)
  } finally {
    await h.close()
  }
}

afterAll(() => {
  const columns = [
    ...IDS,
    'example',
    '4 across requests',
    '4 across requests, refresh inline',
    '4 across requests, no waitUntil',
  ]
  const lines = [
    ['runtime', ...columns.map((c) => (c.length > 2 ? c : `§4.${c}`))],
    ...[...table].map(([runtime, row]) => [
      runtime,
      ...columns.map((c) => (row.has(c) ? (row.get(c) ? 'pass' : 'FAIL') : '-')),
    ]),
  ]
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? []
  console.log(lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')).join('\n'))
})

describe.each([
  ['node 20', process.execPath],
  ['node 22', node22],
  ['node 24', node24],
])('%s', (runtime, node) => {
  it('runs the contract', async () => {
    await withHarness(async (h) => {
      const { stdout, stderr } = await run(node, [cli], { env: h.env })
      const results = parseResults(stdout)
      record(runtime, results)
      expectAllPass(results, IDS)
      expect(unexpectedStderr(stderr)).toEqual([])
    })
  })
})

describe('deno', () => {
  it('runs the contract', async () => {
    await withHarness(async (h) => {
      const { stdout, stderr } = await run(
        bin('deno'),
        ['run', '--allow-net', '--allow-env', '--allow-read', cli],
        { env: h.env },
      )
      const results = parseResults(stdout)
      record('deno', results)
      expectAllPass(results, IDS)
      expect(unexpectedStderr(stderr)).toEqual([])
    })
  })

  it('runs examples/deno/main.ts', async () => {
    await withHarness(async (h) => {
      const pass = await runScriptExample(h, 'deno/main.ts', (file, cwd) =>
        run(bin('deno'), ['run', '--allow-net', '--allow-env', '--allow-read', file], { env: h.env, cwd }),
      )
      record('deno', [{ id: 'example', pass }])
      expect(pass).toBe(true)
    })
  })
})

describe('bun', () => {
  it('runs the contract', async () => {
    await withHarness(async (h) => {
      const { stdout, stderr } = await run(bin('bun'), ['run', cli], { env: h.env })
      const results = parseResults(stdout)
      record('bun', results)
      expectAllPass(results, IDS)
      expect(unexpectedStderr(stderr)).toEqual([])
    })
  })

  it('runs examples/bun/main.ts', async () => {
    await withHarness(async (h) => {
      const pass = await runScriptExample(h, 'bun/main.ts', (file, cwd) =>
        run(bin('bun'), ['run', file], { env: h.env, cwd }),
      )
      record('bun', [{ id: 'example', pass }])
      expect(pass).toBe(true)
    })
  })
})

describe('vercel edge (@edge-runtime/vm)', () => {
  it('runs the contract', async () => {
    const code = await bundle(pathOf.src('edge.js'), 'iife')
    await withHarness(async (h) => {
      const printed: string[] = []
      const vm = new EdgeVM({ extend: (context) => capturingStderr(context, printed) })
      vm.evaluate(code)
      const results = JSON.parse(await vm.evaluate(`runContract(${JSON.stringify(h.env)})`)) as Result[]
      record('vercel edge', results)
      expectAllPass(results, IDS)
      expect(unexpectedStderr(printed.join('\n'))).toEqual([])
    })
  })

  it('runs examples/vercel-edge/route.ts with its provider at module scope', async () => {
    const code = await bundle(pathOf.example('vercel-edge/route.ts'), 'iife', 'route')
    await withHarness(async (h) => {
      // Vercel's edge runtime gives routes process.env; the bare EdgeVM does not.
      const printed: string[] = []
      const vm = new EdgeVM({
        extend: (context) =>
          Object.assign(capturingStderr(context, printed), { process: { env: { ...h.env } } }),
      })
      vm.evaluate(code)
      const get = async () => {
        const res: Response = await vm.evaluate('route.GET()')
        await res.arrayBuffer()
        return res.status
      }
      const statuses = [await get(), await get(), ...(await Promise.all([get(), get(), get()]))]
      const pass = statuses.every((s) => s === 200) && h.mock.stats.tokenRequests === 1
      record('vercel edge', [{ id: 'example', pass }])
      expect({
        statuses,
        tokenRequests: h.mock.stats.tokenRequests,
        stderr: unexpectedStderr(printed.join('\n')),
      }).toEqual({ statuses: [200, 200, 200, 200, 200], tokenRequests: 1, stderr: [] })
    })
  })
})

describe('workerd (miniflare, under Node 22)', () => {
  it('runs the contract one request per behaviour, and the example Worker', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm3ter-workerd-'))
    try {
      const contract = join(dir, 'contract.js')
      const example = join(dir, 'example.js')
      const isolate = join(dir, 'isolate.js')
      writeFileSync(isolate, await bundle(pathOf.src('isolate-worker.js'), 'esm'))
      writeFileSync(contract, await bundle(pathOf.src('worker.js'), 'esm'))
      writeFileSync(example, await bundle(pathOf.example('cloudflare-worker/worker.js'), 'esm'))
      await withHarness(async (h) => {
        const { stdout, stderr } = await run(node22, [pathOf.test('miniflare-runner.mjs')], {
          env: {
            WORKER_BINDINGS: JSON.stringify(h.env),
            WORKER_CONTRACT: contract,
            WORKER_EXAMPLE: example,
            WORKER_ISOLATE: isolate,
            CONTRACT_IDS: IDS.join(','),
          },
          timeoutMs: 100_000,
        })
        const lines = parseResults(stdout) as (Result & { statuses?: number[]; tokenRequests?: number })[]
        const exampleRun = lines.find((l) => l.id === 'example')
        const statuses = exampleRun?.statuses ?? []
        const tokenRequests = exampleRun?.tokenRequests
        const pass = statuses.length === 7 && statuses.every((s) => s === 200) && tokenRequests === 1
        const results = [...lines.filter((l) => l.id !== 'example'), { id: 'example', pass }]
        record('workerd', results)
        expectAllPass(results, IDS)
        const across = (id: string) => lines.find((l) => l.id === id)
        // workerd drops the work a request leaves behind when it answers: with ctx.waitUntil a background
        // refresh survives; without it the provider gives the lost request up and recovers at expiry.
        expect(across('4 across requests')).toMatchObject({ pass: true })
        expect(across('4 across requests, refresh inline')).toMatchObject({ pass: true })
        expect(across('4 across requests, no waitUntil')).toMatchObject({ pass: true })
        expect({ statuses, tokenRequests, stderr: unexpectedStderr(stderr) }).toEqual({
          statuses: [200, 200, 200, 200, 200, 200, 200],
          tokenRequests: 1,
          stderr: [],
        })
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
