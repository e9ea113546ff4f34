import { libraryConfig } from '../../tsup.base.ts'

// `internals` is the unstable entry point for tests and advanced users; both share one copy of core.
export default libraryConfig({ entry: ['src/index.ts', 'src/internals.ts'] })
