import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { otelRig } from './rig.ts'

// Before: otel_scope_version="0.1.0" from a hand-written constant while the package was 0.0.0.
it('reports the package’s own version as its instrumentation scope version', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const rig = await otelRig()
  try {
    await rig.auth.getToken()
    const [span] = rig.spans()
    expect(span?.instrumentationScope).toMatchObject({ name: '@m3ter-auth/otel', version })
  } finally {
    await rig.close()
  }
})
