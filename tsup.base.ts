import { defineConfig, type Options } from 'tsup'

/**
 * One build shape for every published package: ESM (+ CJS where the client allows), .d.ts, no bundling of
 * dependencies. A package with several entry points gets its shared code in common chunks, in CommonJS as
 * in ESM, so that two entries imported together share one copy of module state (a class, a WeakMap).
 */
export function libraryConfig(options: { entry?: Options['entry']; cjs?: boolean } = {}) {
  const entry = options.entry ?? ['src/index.ts']
  return defineConfig({
    entry,
    format: options.cjs === false ? ['esm'] : ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    treeshake: true,
    // tsup splits ESM by default; for CommonJS only when asked.
    ...(Array.isArray(entry) && entry.length > 1 ? { splitting: true } : {}),
  })
}
