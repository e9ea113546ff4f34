import got from 'got-16'
import { gotSpecificTests } from './specific.ts'

gotSpecificTests('got 16', got as never)
