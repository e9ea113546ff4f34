// Property names private to core that its build shortens (esbuild's `mangleProps`, see tsup.config.ts): names
// of the machine's state, the shell, attempts and the request policy's records, which no user, event, error,
// snapshot, store value or other package ever reads. scripts/mangle-guard.mjs (CI's guards step) checks every
// name here: absent from every published .d.ts that users or packages see (core's public entry, the other
// packages' builds); never used by core on a builtin, a library type or an `any` (the type checker says: that
// property would be renamed too); not a name the runtime reads by itself (toJSON, then, next…) nor a key of a
// value core enumerates (JSON.stringify, Object.keys); not one of core's exported names; absent from every
// property access, key or destructuring outside core's sources (packages, tests, apps, bench, examples); and
// no word of a string value in core (a value can be used as a key). Names that fail are left out: for example
// `bodyAgain` and `contentLength` (adapters read them), `phase`, `inFlight` and `reply` (the testkit's and the
// bench's own objects have them: the guard does not tell whose object a property is on), `demand` (an event's
// type: the machine looks its handler up by that string), `M3terTokenProvider` (toJSON shows it to users) and
// `round` (Math.round). A new internal name may be added; the guard says whether it may. The packed builds'
// tests (scripts/tarball-test.mjs, the testkit consumers) run the shortened code.

/** Core's internal property names, shortened in its published build. */
export const INTERNAL_NAMES = [
  'acquire',
  'credentialsRejected',
  'dropped',
  'effects',
  'expiresInSeconds',
  'fetchId',
  'giveUps',
  'heldUntil',
  'keyCount',
  'lastDrop',
  'lastFailure',
  'lastId',
  'seenRejected',
  'lastSegment',
  'listeners',
  'mono',
  'rejectedKeys',
  'resolver',
  'retryAt',
  'retryable',
  'spent',
  'staleAfterMs',
  'startedAt',
  'storeKey',
  'timedOut',
  'timerId',
  'usedAt',
  'waiters',
]

/** The names as esbuild's `mangleProps` pattern: whole names only. */
export const INTERNAL_NAMES_PATTERN = new RegExp(`^(?:${INTERNAL_NAMES.join('|')})$`)
