import { libraryConfig } from '../../tsup.base.ts'
import { INTERNAL_NAMES_PATTERN } from './internal-names.mjs'

// `internals` is the unstable entry point for tests and advanced users; both share one copy of core.
// Its private property names are shortened in the build (internal-names.mjs says which, and why they may be).
export default libraryConfig({
  entry: ['src/index.ts', 'src/internals.ts'],
  internalNames: INTERNAL_NAMES_PATTERN,
})
