import * as undici8 from 'undici-8'
import type { UndiciModule } from './driver.ts'
import { describeUndiciSpecifics } from './specifics.ts'

// Driven through undici 7's types: the calls used here are the same in 8, only handler typings differ.
const undici = undici8 as unknown as UndiciModule

describeUndiciSpecifics('undici 8', undici)
