export {
  instrumentM3terAuth,
  type M3terAuthInstrumentationOptions,
} from './instrument.ts'
export { ATTRIBUTES, METRICS, TOKEN_REQUEST_SPAN } from './names.ts'
export { outcomeOf, refreshReasonOf, type TokenOutcome } from './outcome.ts'
