import { build } from 'esbuild'
const root = '/work/wt/bundle/'
const src = process.argv[2] === 'src'
const r = await build({ stdin: { contents: "export { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'", resolveDir: root+'packages/fetch', loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, metafile: true, mainFields: ['module','main'], conditions: ['import'], outfile: 'x.js', plugins: src ? [{ name: 'src', setup(b) { b.onResolve({ filter: /^@m3ter-auth\/(core|fetch)/ }, (a) => ({ path: root + 'packages/' + a.path.replace('@m3ter-auth/', '').replace(/^(core|fetch)(\/internals)?$/, (m, p, i) => p + '/src/' + (i ? 'internals' : 'index') + '.ts') })) } }] : [] })
const out = Object.values(r.metafile.outputs)[0]
const rows = Object.entries(out.inputs).map(([k,v]) => [v.bytesInOutput, k.replace(/.*packages\//,'')]).sort((a,b)=>b[0]-a[0])
for (const [b,k] of rows) console.log(b, k)
