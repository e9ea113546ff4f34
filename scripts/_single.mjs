import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
const root = '/work/wt/bundle/'
for (const [what, from] of [['isM3terAuthError','core'],['M3terAuthError','core'],['createMemoryStore','core'],['systemClock','core'],['findM3terAuthError','core'],['createTokenProvider','core'],['createTokenPool','core'],['isSecureUrl','core/internals'],['utf8ToBase64','core/internals'],['parseRetryAfter','core/internals'],['scrubbed','core/internals']]) {
  const r = await build({ stdin: { contents: `export { ${what} } from '@m3ter-auth/${from}'`, resolveDir: root+'packages/fetch', loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, mainFields: ['module','main'], conditions: ['import'], logLevel: 'silent' }).catch(e => null)
  if (!r) { console.log(what, 'n/a'); continue }
  const c = r.outputFiles[0].contents
  console.log(what, c.length, gzipSync(c,{level:9}).length)
}
