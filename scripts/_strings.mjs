import { build } from 'esbuild'
const root = '/work/wt/bundle/'
const r = await build({ stdin: { contents: "export { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'", resolveDir: root+'packages/fetch', loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, mainFields: ['module','main'], conditions: ['import'] })
const code = r.outputFiles[0].text
const strs = [...code.matchAll(/"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*'/g)].map(m => m[0]).filter(s => s.length > 25)
strs.sort((a,b)=>b.length-a.length)
console.log(strs.reduce((s,x)=>s+x.length,0), strs.length)
for (const s of strs) console.log(s.length, s.slice(0,220))
