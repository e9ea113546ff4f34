import { defineConfig, type Options } from 'tsup'

/** One build shape for every published package: ESM (+ CJS where the client allows), .d.ts, no bundling of dependencies. */
export function libraryConfig(options: { entry?: Options['entry']; cjs?: boolean } = {}) {
  return defineConfig({
    entry: options.entry ?? ['src/index.ts'],
    format: options.cjs === false ? ['esm'] : ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    treeshake: true,
  })
}
