import ky from 'ky-2'
import { kySpecificTests } from './specific.ts'

kySpecificTests('ky 2', ky as never)
