import ky from 'ky-floor'
import { kySpecificTests } from './specific.ts'

kySpecificTests('ky 1.5.0 (peer range floor)', ky as never)
