import * as undiciFloor from 'undici'
import type { UndiciModule } from './driver.ts'
import { describeUndiciSpecifics } from './specifics.ts'

describeUndiciSpecifics('undici 7.0.0 (peer range floor)', undiciFloor as unknown as UndiciModule)
