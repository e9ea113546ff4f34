import { readdirSync, readFileSync } from 'node:fs'
const dir = '/work/wt/bundle/packages/core/src/'
const files = readdirSync(dir).filter(f => f.endsWith('.ts') && !f.includes('.test.'))
const g = {}
for (const f of files) { const t = readFileSync(dir+f,'utf8'); g[f] = [...t.matchAll(/(?:import|export)[^'"]*?from\s+'\.\/([^']+)'/g)].map(m => m[1]) }
// tarjan
let idx=0; const st=[]; const on=new Set(); const I={}, L={}; const sccs=[]
function sc(v){I[v]=L[v]=idx++; st.push(v); on.add(v); for (const w of g[v]||[]) { if (I[w]===undefined){sc(w); L[v]=Math.min(L[v],L[w])} else if (on.has(w)) L[v]=Math.min(L[v],I[w]) } if (L[v]===I[v]) { const c=[]; let w; do { w=st.pop(); on.delete(w); c.push(w) } while (w!==v); if (c.length>1) sccs.push(c) } }
for (const f of files) if (I[f]===undefined) sc(f)
for (const c of sccs) { console.log(c.length, c.join(' ')); for (const f of c) console.log('  ', f, '->', g[f].filter(x=>c.includes(x)).join(' ')) }
