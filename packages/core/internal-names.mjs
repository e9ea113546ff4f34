// Property names private to core that its build shortens (esbuild's `mangleProps`, see tsup.config.ts): names
// of the machine's state, the shell, attempts and the request policy's records, which no user, event, error,
// snapshot, store value or other package ever reads. Every name here is checked by scripts/mangle-guard.mjs
// (CI's guards step): absent from every published .d.ts that users or packages see (core's public entry, the
// other packages' builds), from the TypeScript and Node libraries (a builtin's property of the same name would
// be renamed too), from core's exported names, and from every property access, key or destructuring outside
// core's sources (packages, tests, apps, bench, examples), and from core's string values (a value can be
// used as a key). Names that fail any of these are left out, for example `bodyAgain` and `contentLength`
// (adapters read them), `phase`, `inFlight` and `reply` (the testkit's and the bench's own objects have them:
// the guard does not tell whose object a property is on), `demand` (an event's type: the machine looks its
// handler up by that string), `toJSON`'s `M3terTokenProvider` (users see it), and `effects` or `mono` (a DOM
// or Node type has them). A new internal name may be added here; the guard says whether it may. The packed
// builds' tests (scripts/tarball-test.mjs, the testkit consumers) run the shortened code.

/** Core's internal property names, shortened in its published build. */
export const INTERNAL_NAMES = [
  'credentialsRejected',
  'expiresInSeconds',
  'fetchId',
  'giveUps',
  'heldUntil',
  'keyCount',
  'lastDrop',
  'lastFailure',
  'lastId',
  'lastInvalidated',
  'lastSegment',
  'rejectedKeys',
  'retryAt',
  'retryable',
  'spent',
  'staleAfterMs',
  'startedAt',
  'timedOut',
  'timerId',
  'usedAt',
  'waiters',
]

/** The names as esbuild's `mangleProps` pattern: whole names only. */
export const INTERNAL_NAMES_PATTERN = new RegExp(`^(?:${INTERNAL_NAMES.join('|')})$`)
