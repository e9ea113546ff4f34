import { libraryConfig } from '../../tsup.base.ts'

export default libraryConfig()
