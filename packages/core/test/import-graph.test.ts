// Core's modules import one another without a circle, type imports and re-exports included: the shared
// vocabulary (statuses, events, the token and its answer, the options users write) sits at the bottom, the
// provider and the pool on top. A circle makes every file in it a dependency of every other, so that none can
// be read, tested or bundled alone; this test names the files of any circle that appears.
import { readdirSync, readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const sources = new URL('../src/', import.meta.url)

/** Each source file (tests left out) and the sibling files it imports or re-exports from. */
function coreImports(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of readdirSync(sources).filter((f) => f.endsWith('.ts') && !f.includes('.test.'))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(new URL(file, sources), 'utf8'), true, true)
    const siblings = importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('./'))
    graph.set(
      file,
      siblings.map((name) => name.slice(2)),
    )
  }
  return graph
}

/** The circles of a graph: its strongly connected components of more than one file (Tarjan's algorithm). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const found: string[][] = []
  const visit = (file: string) => {
    index.set(file, index.size)
    low.set(file, index.get(file) as number)
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number))
      } else if (stack.includes(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number))
      }
    }
    if (low.get(file) !== index.get(file)) return
    const component = stack.splice(stack.indexOf(file))
    if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort())
  }
  for (const file of graph.keys()) if (!index.has(file)) visit(file)
  return found
}

describe("core's imports", () => {
  it('form no circle, type imports included', () => {
    const graph = coreImports()
    expect(graph.size).toBeGreaterThan(30)
    expect(graph.get('provider.ts')).toContain('token-provider.ts')
    expect(circles(graph)).toEqual([])
  })

  it('the search finds a circle, a type import in it too', () => {
    const graph = new Map([
      ['machine.ts', ['token-provider.ts']],
      ['token-provider.ts', ['events.ts']],
      ['events.ts', ['machine.ts']],
      ['provider.ts', ['machine.ts', 'events.ts']],
    ])
    expect(circles(graph)).toEqual([['events.ts', 'machine.ts', 'token-provider.ts']])
    expect(circles(new Map([['a.ts', ['a.ts']]]))).toEqual([['a.ts']])
  })

  it('reads type imports and re-exports as imports', () => {
    const { importedFiles } = ts.preProcessFile(
      "import type { A } from './a.ts'\nexport { B } from './b.ts'\nexport type { C } from './c.ts'",
      true,
      true,
    )
    expect(importedFiles.map((i) => i.fileName)).toEqual(['./a.ts', './b.ts', './c.ts'])
  })
})
