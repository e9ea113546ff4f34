import got from 'got'
import { gotSpecificTests } from './specific.ts'

gotSpecificTests('got 14', got as never)
