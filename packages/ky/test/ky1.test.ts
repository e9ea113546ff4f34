import ky from 'ky'
import { kySpecificTests } from './specific.ts'

kySpecificTests('ky 1', ky as never)
