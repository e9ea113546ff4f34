import got from 'got'
import { gotSpecificTests } from './specific.ts'

gotSpecificTests('got 14.5.0 (peer range floor)', got as never)
