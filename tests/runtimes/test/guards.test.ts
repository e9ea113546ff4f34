// scripts/guards.mjs passes on the built packages, and each of its checks fails on a bad input: a guard that
// cannot fail proves nothing.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { run } from './run.ts'

const script = fileURLToPath(new URL('../../../scripts/guards.mjs', import.meta.url))
const coreDist = fileURLToPath(new URL('../../../packages/core/dist/index.js', import.meta.url))

interface Guards {
  importProblems(entry: string, allowed: string[], contents?: string): Promise<string[]>
  referenceProblems(name: string, code: string, ids?: string[]): Promise<string[]>
  evaluationProblems(name: string, iife: string, smoke?: string): string[]
  dependencyProblems(name: string, pkg: object, allowed: string[]): string[]
}
// Through a variable so that the untyped .mjs is loaded at run time with the shape declared above.
const guards = (await import(script)) as Guards

describe('scripts/guards.mjs', () => {
  it('passes on the built core and fetch', async () => {
    const { code, stdout, stderr } = await run(process.execPath, [script], { env: {} })
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    expect(stdout).toContain('@m3ter-auth/core, @m3ter-auth/fetch')
  })

  it('fails on core with a node: import added', async () => {
    const bad = `import { readFileSync } from 'node:fs'\nexport const read = readFileSync\n${readFileSync(coreDist, 'utf8')}`
    expect(await guards.importProblems(coreDist, [], bad)).toEqual([`${coreDist}: imports 'node:fs'`])
    expect(await guards.importProblems(coreDist, [])).toEqual([])
  })

  it('fails on a bare import that is not allowed, passes on core from an adapter and on type-only imports', async () => {
    const entry = fileURLToPath(new URL('../src/synthetic.ts', import.meta.url))
    const source = `import { isTokenRejected } from '@m3ter-auth/core'\nimport type { AxiosInstance } from 'axios'\nexport { isTokenRejected }\n`
    expect(await guards.importProblems(entry, ['@m3ter-auth/core'], source)).toEqual([])
    expect(await guards.importProblems(entry, [], `${source}import ky from 'ky'\nexport { ky }\n`)).toEqual([
      `${entry}: imports '@m3ter-auth/core'`,
      `${entry}: imports 'ky'`,
    ])
  })

  it('fails on Buffer, a bare process or require; passes on globalThis.process?.env and ArrayBuffer', async () => {
    expect(
      await guards.referenceProblems('x', 'export const b = Buffer.from("s").toString("base64")'),
    ).toEqual(['x: references Buffer'])
    expect(await guards.referenceProblems('x', 'export const e = () => process.env.M3TER_API_KEY')).toEqual([
      'x: references process',
    ])
    expect(await guards.referenceProblems('x', 'const fs = require("fs")')).toEqual(['x: references require'])
    const fine =
      'export const e = () => globalThis.process?.env; export const a = new ArrayBuffer(1) // Buffer, process'
    expect(await guards.referenceProblems('x', fine)).toEqual([])
  })

  it('fails when importing needs a Node global', () => {
    expect(guards.evaluationProblems('x', 'var m3ter = (() => ({ env: process.env }))()')).toEqual([
      'x: fails without Node globals: process is not defined',
    ])
    expect(
      guards.evaluationProblems('x', 'var m3ter = (() => ({ bytes: Buffer.from("s") }))()'),
    ).toHaveLength(1)
    expect(guards.evaluationProblems('x', 'var m3ter = (() => ({ t: setImmediate }))()')).toHaveLength(1)
    expect(
      guards.evaluationProblems(
        'x',
        'var m3ter = (() => ({ u: new URL("https://a.b"), h: new Headers() }))()',
      ),
    ).toEqual([])
  })

  it('fails on a runtime dependency beyond core', () => {
    const pkg = { dependencies: { '@m3ter-auth/core': '^0.1.0' }, peerDependencies: { undici: '*' } }
    expect(guards.dependencyProblems('p', pkg, ['@m3ter-auth/core'])).toEqual(['p: depends on undici'])
    expect(guards.dependencyProblems('p', { dependencies: { 'node-fetch': '3' } }, [])).toEqual([
      'p: depends on node-fetch',
    ])
  })
})
