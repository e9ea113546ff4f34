import { defineConfig, type Options } from 'tsup'

/**
 * One build shape for every published package: ESM (+ CJS where the client allows), .d.ts, no bundling of
 * dependencies. A package with several entry points gets its shared code in common chunks, in CommonJS as
 * in ESM, so that two entries imported together share one copy of module state (a class, a WeakMap).
 */
export function libraryConfig(
  options: { entry?: Options['entry']; cjs?: boolean; internalNames?: RegExp } = {},
) {
  const entry = options.entry ?? ['src/index.ts']
  const { internalNames } = options
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
    // Property names private to the package, shortened: they are bytes every user ships, and nothing outside
    // the package reads them (scripts/mangle-guard.mjs checks that). Quoted uses (`'fetchId' in event`) too,
    // so that they stay the same name as the dotted ones.
    ...(internalNames
      ? {
          esbuildOptions(esbuild) {
            esbuild.mangleProps = internalNames
            esbuild.mangleQuoted = true
          },
        }
      : {}),
  })
}
