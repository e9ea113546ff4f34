import got from 'got-15'
import { gotSpecificTests } from './specific.ts'

gotSpecificTests('got 15.0.0', got as never)
