import { build } from 'esbuild'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
const root = '/work/wt/bundle/'
const r = await build({ entryPoints: [root+'packages/core/src/index.ts', root+'packages/core/src/internals.ts'], bundle: true, write: false, outdir: '/tmp/x', format: 'esm', platform: 'neutral', minify: true, mangleProps: /./, mangleQuoted: false, mangleCache: {}, logLevel: 'error', splitting: true })
const names = Object.keys(r.mangleCache)
const words = new Set()
const addWords = (text) => { for (const w of text.match(/[A-Za-z_$][\w$]*/g) ?? []) words.add(w) }
function walk(dir, pred) { for (const f of readdirSync(dir)) { const p = join(dir, f); const s = statSync(p); if (s.isDirectory()) { if (f !== 'node_modules') walk(p, pred) } else if (pred(p)) addWords(readFileSync(p, 'utf8')) } }
const strip = (t) => t.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
addWords(strip(readFileSync('/tmp/bundle/pubdts/index.d.ts', 'utf8')))
for (const pkg of readdirSync(root+'packages')) if (pkg !== 'core') { const d = root+'packages/'+pkg+'/dist'; try { walk(d, (p) => /\.d\.c?ts$/.test(p)) } catch {} }
const publicWords = new Set(words)
words.clear()
walk(root+'node_modules/typescript/lib', (p) => /lib\..*\.d\.ts$/.test(p))
const libWords = new Set(words); words.clear()
for (const pkg of readdirSync(root+'packages')) if (pkg !== 'core') { try { walk(root+'packages/'+pkg+'/src', (p) => /\.ts$/.test(p)) } catch {} }
for (const d of ['tests','apps','bench','examples']) walk(root+d, (p) => /\.(ts|mjs|js|tsx)$/.test(p))
const otherWords = new Set(words); words.clear()
const strings = new Set()
for (const f of readdirSync(root+'packages/core/src')) if (!f.includes('.test.')) for (const m of readFileSync(root+'packages/core/src/'+f,'utf8').matchAll(/['"`]([A-Za-z_$][\w$]*)['"`]/g)) strings.add(m[1])
const keep = names.filter(n => !publicWords.has(n) && !libWords.has(n) && !otherWords.has(n))
console.log('all', names.length, 'candidates', keep.length)
console.log(keep.map(n => strings.has(n) ? n+'(STR)' : n).join(' '))
console.log('\nexcluded only by other pkgs:', names.filter(n => !publicWords.has(n) && !libWords.has(n) && otherWords.has(n)).join(' '))
console.log('\nexcluded only by lib:', names.filter(n => !publicWords.has(n) && libWords.has(n) && !otherWords.has(n)).join(' '))
const { build: b2 } = await import('esbuild')
const r2 = await b2({ stdin: { contents: "export { createTokenProvider, isM3terAuthError } from '@m3ter-auth/core'\nexport { withM3terAuth } from '@m3ter-auth/fetch'", resolveDir: root+'packages/fetch', loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, mainFields: ['module','main'], conditions: ['import'] })
const code = r2.outputFiles[0].text
const rows = []
for (const n of names) { const c = (code.match(new RegExp('[.{,]' + n.replace('$','\\$') + '\\b', 'g')) ?? []).length; if (c) rows.push([n, c, c * n.length, publicWords.has(n) ? 'pub' : libWords.has(n) ? 'lib' : otherWords.has(n) ? 'other' : 'CAND']) }
rows.sort((a, b) => b[2] - a[2])
console.log(rows.slice(0, 80).map(r => r.join(':')).join('  '))
const tot = (k) => rows.filter(r => r[3] === k).reduce((s, r) => s + r[2], 0)
console.log('bytes pub', tot('pub'), 'lib', tot('lib'), 'other', tot('other'), 'cand', tot('CAND'), 'of', code.length)
