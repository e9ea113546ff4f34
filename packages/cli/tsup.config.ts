import { libraryConfig } from '../../tsup.base.ts'

export default libraryConfig({ entry: ['src/index.ts', 'src/bin.ts'], cjs: false })
