import ky from 'ky'
import { kySpecificTests } from './specific.ts'

kySpecificTests('ky 1.5.0 (peer range floor)', ky as never)
