import * as undici from 'undici'
import { describeUndiciSpecifics } from './specifics.ts'

describeUndiciSpecifics('undici 7', undici)
