// Guard for the property names core's build shortens (packages/core/internal-names.mjs): proves that none of
// them is part of what users or other packages see, so that shortening them changes no public surface. A name
// fails when it appears
// - in the declarations of core's public entry point (built here from src/index.ts alone, as users see it)
//   or in the published declarations of any other package (they describe what crosses a package boundary);
// - as a property that core's code reads or writes on something it did not declare (a builtin's, a library
//   type's, an `any`), found with the type checker: that property would be renamed too;
// - among the names the runtime reads on any object (toJSON, then, next, message…), or as a key of a value
//   whose keys core reads by name (JSON.stringify, Object.keys, for…in);
// - among core's exported names (an entry's exports object in CommonJS is made of properties);
// - as a property (access, key, destructuring, `in`) anywhere outside core's own sources: the other
//   packages, tests, apps, bench and examples, which read core's objects through its built output;
// - as a string value in core's sources (a word of it): a value may be used as a key, as the machine's
//   handlers are looked up by the event's `type` ('demand'), which the shortening cannot follow.
// And the build must have shortened them: none of them is left as a property of core's built code. The .d.ts
// files are not touched by the shortening (tsup writes them from the sources; esbuild only minifies code).
// Run after a build: node scripts/mangle-guard.mjs
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'tsup'
import ts from 'typescript'
import { INTERNAL_NAMES } from '../packages/core/internal-names.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Every file under `dir` whose name passes `wanted`, skipping dependencies, builds and caches. */
function filesUnder(dir, wanted) {
  const found = []
  for (const entry of readdirSync(dir)) {
    if (['node_modules', 'dist', '.turbo', '.stryker-tmp', 'reports'].includes(entry)) continue
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) found.push(...filesUnder(path, wanted))
    else if (wanted(entry)) found.push(path)
  }
  return found
}

/** The identifiers of declaration text, comments left out (a comment declares nothing). */
function declaredWords(text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
  return new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? [])
}

/** Core's public entry point's declarations, alone (the published ones share a chunk with `internals`). */
async function corePublicDeclarations() {
  const outDir = mkdtempSync(join(tmpdir(), 'mangle-guard-'))
  try {
    await build({
      entry: [join(root, 'packages/core/src/index.ts')],
      tsconfig: join(root, 'packages/core/tsconfig.json'),
      dts: { only: true },
      format: ['esm'],
      outDir,
      config: false,
      silent: true,
    })
    return readFileSync(join(outDir, 'index.d.ts'), 'utf8')
  } finally {
    rmSync(outDir, { recursive: true, force: true })
  }
}

const PROPERTY_NAME_PARENTS = new Set([
  ts.SyntaxKind.PropertyAccessExpression,
  ts.SyntaxKind.PropertyAssignment,
  ts.SyntaxKind.ShorthandPropertyAssignment,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.MethodSignature,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.BindingElement,
])

/** Names used as properties in a source file: accesses, keys, members, destructuring, `'x' in`, `o['x']`. */
function propertyNames(path) {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
  const names = new Set()
  const visit = (node) => {
    const parent = node.parent
    if ((ts.isIdentifier(node) || ts.isStringLiteral(node)) && parent) {
      // In `{ a: phase }` destructuring `a` is the property and `phase` a variable; in `{ phase }` both.
      const property = ts.isBindingElement(parent) ? (parent.propertyName ?? parent.name) : parent.name
      const named = PROPERTY_NAME_PARENTS.has(parent.kind) && property === node
      const indexed = ts.isElementAccessExpression(parent) && parent.argumentExpression === node
      const tested =
        ts.isBinaryExpression(parent) &&
        parent.operatorToken.kind === ts.SyntaxKind.InKeyword &&
        parent.left === node
      if (named || (ts.isStringLiteral(node) && (indexed || tested))) names.add(node.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return names
}

/**
 * String values in a source file: a value can become a key (`HANDLERS[event.type]` with `type: 'demand'`),
 * which the shortening cannot follow. Quoted property names are left out: they are shortened with the rest.
 */
function stringValues(path) {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
  const values = new Set()
  const visit = (node) => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
      const parent = node.parent
      const key =
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isElementAccessExpression(parent) && parent.argumentExpression === node) ||
        (ts.isBinaryExpression(parent) &&
          parent.operatorToken.kind === ts.SyntaxKind.InKeyword &&
          parent.left === node) ||
        ts.isImportDeclaration(parent) ||
        ts.isExportDeclaration(parent)
      if (!key) for (const word of node.text.match(/[A-Za-z_$][\w$]*/g) ?? []) values.add(word)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return values
}

/**
 * Where core's own code uses a listed name as a property of something core did not declare: a builtin's
 * (`Math.round`, a Response's `status`), a library type's, or a value typed `any`. The shortening renames every
 * use of a name, so one such use would break. Found with the type checker, over core's sources as its build
 * compiles them: each access, destructuring, `in` test and object literal key whose type is known.
 */
function foreignUses() {
  const dir = join(root, 'packages/core')
  const { config } = ts.readConfigFile(join(dir, 'tsconfig.json'), ts.sys.readFile)
  const { fileNames, options } = ts.parseJsonConfigFileContent(config, ts.sys, dir)
  const program = ts.createProgram(fileNames, options)
  const checker = program.getTypeChecker()
  const own = join(dir, 'src')
  const names = new Set(INTERNAL_NAMES)
  const found = []
  const foreign = (symbol) =>
    !symbol?.declarations?.length ||
    symbol.declarations.some((d) => !d.getSourceFile().fileName.startsWith(own))
  // A property of a type (each member of a union) declared outside core; `any` counts as outside.
  const foreignIn = (type, name) =>
    (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0 ||
    (type.isUnionOrIntersection() ? type.types : [type]).some((member) => {
      const property = checker.getPropertyOfType(checker.getApparentType(member), name)
      return property !== undefined && foreign(property)
    })
  for (const source of program.getSourceFiles()) {
    if (!source.fileName.startsWith(own)) continue
    const at = (node) =>
      `${source.fileName.slice(root.length)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`
    const visit = (node) => {
      const parent = node.parent
      if ((ts.isIdentifier(node) || ts.isStringLiteral(node)) && parent && names.has(node.text)) {
        let outside = false
        if (ts.isPropertyAccessExpression(parent) && parent.name === node) {
          outside = foreign(checker.getSymbolAtLocation(node))
        } else if (ts.isElementAccessExpression(parent) && parent.argumentExpression === node) {
          outside = foreignIn(checker.getTypeAtLocation(parent.expression), node.text)
        } else if (ts.isBindingElement(parent) && (parent.propertyName ?? parent.name) === node) {
          outside = foreignIn(checker.getTypeAtLocation(parent.parent), node.text)
        } else if (ts.isBinaryExpression(parent) && parent.left === node) {
          outside = foreignIn(checker.getTypeAtLocation(parent.right), node.text)
        } else if (
          (ts.isPropertyAssignment(parent) ||
            ts.isShorthandPropertyAssignment(parent) ||
            ts.isMethodDeclaration(parent)) &&
          parent.name === node &&
          ts.isObjectLiteralExpression(parent.parent)
        ) {
          const contextual = checker.getContextualType(parent.parent)
          outside = contextual !== undefined && foreignIn(contextual, node.text)
        }
        if (outside) found.push([node.text, `used on something core did not declare at ${at(node)}`])
      }
      // Keys read by name at run time: JSON.stringify, Object.keys / entries, for…in over a value whose type
      // has a listed name would see the short name.
      const enumerated = enumeratedValue(node)
      if (enumerated) {
        const type = checker.getTypeAtLocation(enumerated)
        for (const member of type.isUnionOrIntersection() ? type.types : [type])
          for (const property of checker.getPropertiesOfType(member))
            if (names.has(property.name))
              found.push([property.name, `a key of a value whose keys are read by name at ${at(node)}`])
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

/** The value whose keys a call or loop reads by name: `JSON.stringify(x)`, `Object.keys(x)`, `for (k in x)`. */
function enumeratedValue(node) {
  if (ts.isForInStatement(node)) return node.expression
  if (!ts.isCallExpression(node) || node.arguments.length === 0) return undefined
  const callee = node.expression.getText()
  return ENUMERATING_CALLS.includes(callee) ? node.arguments[0] : undefined
}

const ENUMERATING_CALLS = [
  'JSON.stringify',
  'Object.keys',
  'Object.entries',
  'Object.values',
  'Object.assign',
]

// Names the runtime itself reads or calls on any object (JSON.stringify's toJSON, a thenable's then, an
// iterator's next, an error's message, an event listener object's handleEvent…): never core's alone.
const RUNTIME_NAMES = new Set([
  'toJSON',
  'then',
  'catch',
  'finally',
  'toString',
  'valueOf',
  'toLocaleString',
  'constructor',
  'prototype',
  '__proto__',
  'handleEvent',
  'next',
  'return',
  'throw',
  'done',
  'value',
  'length',
  'name',
  'message',
  'stack',
  'cause',
  'errors',
  'get',
  'set',
  'has',
  'apply',
  'construct',
  'deleteProperty',
  'ownKeys',
  'defineProperty',
  'getOwnPropertyDescriptor',
  'enumerable',
  'configurable',
  'writable',
  'lastIndex',
  'index',
  'input',
  'groups',
])

export async function mangleProblems() {
  const problems = []
  // One line per name: its first reason (the others are as many again of the same kind).
  const flagged = new Set()
  const flag = (names, why) => {
    for (const name of INTERNAL_NAMES)
      if (names.has(name) && !flagged.has(name)) {
        flagged.add(name)
        problems.push(`${name}: ${why}`)
      }
  }

  flag(declaredWords(await corePublicDeclarations()), "in core's public declarations")
  for (const pkg of readdirSync(join(root, 'packages')).filter((p) => p !== 'core')) {
    const dist = join(root, 'packages', pkg, 'dist')
    for (const file of filesUnder(dist, (f) => /\.d\.c?ts$/.test(f)))
      flag(declaredWords(readFileSync(file, 'utf8')), `in ${pkg}'s declarations`)
  }

  flag(RUNTIME_NAMES, 'read or called by the runtime itself')
  for (const [name, where] of foreignUses()) flag(new Set([name]), where)

  for (const file of ['index.d.ts', 'internals.d.ts']) {
    const text = readFileSync(join(root, 'packages/core/dist', file), 'utf8')
    const exported = [...text.matchAll(/export\s*\{([^}]*)\}/g)].map((m) => m[1]).join(' ')
    flag(declaredWords(exported), `exported by core (${file})`)
  }

  const outside = [
    ...readdirSync(join(root, 'packages'))
      .filter((p) => p !== 'core')
      .map((p) => join(root, 'packages', p)),
    ...['tests', 'apps', 'bench', 'examples'].map((d) => join(root, d)),
  ]
  for (const dir of outside)
    for (const file of filesUnder(
      dir,
      (f) => /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(f) && !f.endsWith('.d.ts'),
    ))
      flag(propertyNames(file), `a property in ${file.slice(root.length)}`)

  const coreSources = filesUnder(
    join(root, 'packages/core/src'),
    (f) => f.endsWith('.ts') && !f.includes('.test.'),
  )
  for (const file of coreSources) flag(stringValues(file), `a string value in ${file.slice(root.length)}`)

  const builtCore = filesUnder(join(root, 'packages/core/dist'), (f) => /\.c?js$/.test(f))
  for (const file of builtCore)
    flag(propertyNames(file), `left unshortened in ${file.slice(root.length)} (is the build configured?)`)
  return problems
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = await mangleProblems()
  for (const p of problems) console.error(`FAIL ${p}`)
  if (problems.length === 0)
    console.log(`ok   ${INTERNAL_NAMES.length} internal property names of core shortened, none public`)
  process.exit(problems.length === 0 ? 0 : 1)
}
