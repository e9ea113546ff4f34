// Reads one callgrind dump (the format of valgrind's callgrind, names compressed) for ./instructions.mjs and
// ./jit-names.mjs: each function's self instructions and, for the functions asked about, inclusive ones.
// Read from the file rather than through callgrind_annotate, which charges the functions still on the stack
// at a mid-run dump (main, the event loop) with their inclusive cost as if it were their own.
import { readFileSync } from 'node:fs'

// V8's one entry to a garbage collection on the main thread (scavenges from allocation and from the minor
// GC task alike): its inclusive cost is the collections' share of a run.
export const GC_ENTRY = 'v8::internal::Heap::CollectGarbage('

/**
 * `self`: instructions by function name (the cost lines under each `fn=`, less the line after each
 * `calls=`, which is a call's inclusive cost and belongs to the callee). `gc`: the inclusive instructions of
 * the functions whose name starts with {@link GC_ENTRY}. `total`: the dump's summary.
 *
 * @example
 * const { total, gc, self } = readDump('/tmp/m3ter-auth-instructions-x/fetch-bare-1.out')
 */
export function readDump(file) {
  const names = new Map()
  const self = new Map()
  let total = 0
  let gc = 0
  let current
  let inGc = false
  let callLine = false
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    // A compressed name is spelled out once, at its first use (in fn= or cfn=); later uses give its id.
    const named = /^c?fn=\((\d+)\)(?: (.*))?$/.exec(line)
    if (named?.[2] !== undefined) names.set(named[1], named[2])
    if (line.startsWith('fn=')) {
      current = names.get(named[1])
      inGc = current?.startsWith(GC_ENTRY) === true
      continue
    }
    if (line.startsWith('summary: ')) total = Number(line.slice('summary: '.length))
    if (line.startsWith('calls=')) {
      callLine = true
      continue
    }
    if (!/^[0-9+\-*]/.test(line)) continue
    const cost = Number(line.split(' ')[1] ?? 0)
    if (inGc) gc += cost
    if (callLine) {
      callLine = false
      continue
    }
    if (current !== undefined) self.set(current, (self.get(current) ?? 0) + cost)
  }
  return { total, gc, self }
}
