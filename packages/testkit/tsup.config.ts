import { defineConfig } from 'tsup'

// ESM and CJS: Jest projects require() the package.
export default defineConfig({
  entry: ['src/index.ts', 'src/vitest.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'node',
  treeshake: true,
  // import.meta.url in the CJS build (the lazy vitest loader).
  shims: true,
})
