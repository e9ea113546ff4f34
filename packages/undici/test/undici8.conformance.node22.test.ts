import { describeAdapterConformance } from '@m3ter-auth/testkit'
import * as undici from 'undici-8'
import { undiciDriver, undiciFetchDriver } from './driver.ts'

describeAdapterConformance('undici 8 request()', (auth) => undiciDriver(undici, auth))
// Through undici's fetch every request body arrives as a stream, so a body is never retried there; the
// suite's text-body retry line expects a retry, which only bodiless requests get on this path.
describeAdapterConformance('undici 8 fetch()', (auth) => undiciFetchDriver(undici, auth))
