// Instructions per request of an adapter's client, bare and wrapped, counted by valgrind's callgrind: a
// count that does not move with the neighbours' load as CPU time does. What still moves it is the client's
// own JIT and GC timing (one side without GC moved 0.6-7 % between runs here): use several repeats.
// NEEDS VALGRIND (apt-get install valgrind). Opt-in: not in CI and not in bench/run.mjs's set (not named
// *.bench.mjs).
//
//   pnpm bench:instructions [axios|fetch|got|ky|undici|control:<name> ...] [--repeat=2] [--names]
//   (or, after pnpm build: node bench/adapters/instructions.mjs fetch ky)
//
// Each side runs in its own process: the client's <client>.bench.mjs with BENCH_ONE_SIDE=bare|wrapped (see
// countOneSide in ./side-by-side.mjs), the client process under callgrind, its loopback server forked as a
// normal process (callgrind does not follow children). The client warms up (BENCH_WARMUP, default 3000
// requests) and then sends BENCH_REQUESTS (default 1000) between two marks callgrind dumps its counters at,
// so the measured dump holds those requests alone: no startup or warm-up to cancel out. Instructions count
// the client's main thread (see measuredDump), not the kernel's work.
// Under callgrind a run is some 50x slower than native: a side takes a minute or two.
//
// Prints, per client and per repeat, instructions per request bare, wrapped and over (wrapped - bare), the
// over without garbage collection (each side less its collections' inclusive instructions: how much of a
// scavenge's work lands on the main thread rather than on its helpers moves from run to run) and the
// collections' own figures, then the median and the spread (max - min) over the repeats. The dumps stay in the printed directory, named
// <client>-<side>-<repeat>.out, for `callgrind_annotate --inclusive=yes <file>` or ./jit-names.mjs.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readDump } from './callgrind-dump.mjs'
import { median } from './side-by-side.mjs'

const CLIENTS = ['axios', 'fetch', 'got', 'ky', 'undici']
const MEASURED_MARK = 'uv_os_gethostname'
const here = new URL('.', import.meta.url).pathname

const args = process.argv.slice(2)
const repeatArg = args.find((a) => a.startsWith('--repeat='))
const repeats = repeatArg ? Number(repeatArg.slice('--repeat='.length)) : 2
const clients = args.filter((a) => !a.startsWith('--'))
// --names: node writes its JIT code map (--perf-basic-prof), kept beside the dumps, so ./jit-names.mjs can put
// JavaScript function names on the addresses callgrind reports for JIT code.
const names = args.includes('--names')
for (const client of clients) {
  if (!CLIENTS.includes(client) && !client.startsWith('control:'))
    throw new Error(
      `unknown client ${client}; one of ${CLIENTS.join(', ')} or control:<name> (./controls.mjs)`,
    )
}
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeat must be a positive integer`)
if (spawnSync('valgrind', ['--version']).status !== 0) {
  throw new Error(
    'valgrind not found: this bench counts instructions under callgrind (apt-get install valgrind)',
  )
}
const warmup = process.env.BENCH_WARMUP ?? '3000'
const requests = process.env.BENCH_REQUESTS ?? '1000'
const outDir = mkdtempSync(join(tmpdir(), 'm3ter-auth-instructions-'))

// The main thread's dump at the measured mark (thread 1: the JavaScript, the HTTP parser, the main part of
// GC). With --separate-threads=yes a mark dumps the thread that reached it alone; V8's helper threads
// (concurrent compilation, still busy after thousands of requests as undici's fetch keeps deoptimizing on
// both sides, and GC helpers) are left out, and with them most of the run-to-run spread.
function measuredDump(pid) {
  for (const file of readdirSync(outDir).filter((f) => f.startsWith(`callgrind.out.${pid}.`))) {
    const text = readFileSync(join(outDir, file), 'utf8')
    if (!text.includes(`Trigger: --dump-before=${MEASURED_MARK}`) || !/^thread: 1$/m.test(text)) continue
    return file
  }
  throw new Error(`no main-thread dump at ${MEASURED_MARK} for process ${pid} in ${outDir}`)
}

// A client's bench file, or a control of ./controls.mjs ('control:fetch-manual-redirect').
function script(client) {
  if (client.startsWith('control:')) return [join(here, 'controls.mjs'), client.slice('control:'.length)]
  return [join(here, `${client}.bench.mjs`)]
}

// One side of one client under callgrind: its instructions per measured request.
function countSide(client, side, repeat) {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--separate-threads=yes',
      '--dump-before=uv_loadavg',
      `--dump-before=${MEASURED_MARK}`,
      `--callgrind-out-file=${join(outDir, 'callgrind.out.%p')}`,
      process.execPath,
      '--expose-gc',
      ...(names ? ['--perf-basic-prof'] : []),
      ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
      ...script(client),
    ],
    {
      // Any log node writes beside it (--perf-basic-prof can leave isolate-*.log) stays with the dumps.
      cwd: outDir,
      encoding: 'utf8',
      env: { ...process.env, BENCH_ONE_SIDE: side, BENCH_WARMUP: warmup, BENCH_REQUESTS: requests },
    },
  )
  // The side's own line (behaviour counts) is its last line of output; valgrind's chatter goes to stderr.
  if (run.status !== 0)
    throw new Error(`${client} ${side} failed (${run.status}):\n${run.stdout}\n${run.stderr}`)
  const kept = join(outDir, `${client.replace(':', '-')}-${side}-${repeat}.out`)
  renameSync(join(outDir, measuredDump(run.pid)), kept)
  const { total, gc } = readDump(kept)
  if (names) renameSync(`/tmp/perf-${run.pid}.map`, kept.replace(/\.out$/, '.map'))
  return { total: total / Number(requests), gc: gc / Number(requests) }
}

const spread = (values) => Math.max(...values) - Math.min(...values)

console.log(`dumps in ${outDir}; warm-up ${warmup}, measured ${requests} requests per side`)
for (const client of clients.length > 0 ? clients : CLIENTS) {
  const runs = []
  for (let repeat = 1; repeat <= repeats; repeat++) {
    const bare = countSide(client, 'bare', repeat)
    const wrapped = countSide(client, 'wrapped', repeat)
    const run = {
      bare: bare.total,
      wrapped: wrapped.total,
      over: wrapped.total - bare.total,
      overWithoutGc: wrapped.total - wrapped.gc - (bare.total - bare.gc),
      gc: { bare: bare.gc, wrapped: wrapped.gc },
    }
    runs.push(run)
    console.log(JSON.stringify({ client, repeat, instructionsPerRequest: rounded(run) }))
  }
  const summary = (reduce) =>
    Object.fromEntries(
      ['bare', 'wrapped', 'over', 'overWithoutGc'].map((k) => [k, reduce(runs.map((r) => r[k]))]),
    )
  console.log(
    JSON.stringify({ client, repeats, median: rounded(summary(median)), spread: rounded(summary(spread)) }),
  )
}

// Whole instructions, at any depth of the figures' objects.
function rounded(figures) {
  return Object.fromEntries(
    Object.entries(figures).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v) : rounded(v)]),
  )
}
