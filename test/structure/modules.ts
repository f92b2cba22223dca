/**
 * Reads the shape of the sources: each file's length, each function's
 * length, and the run-time imports between files (to find cycles). Used by
 * `Modules.test.ts`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import ts from "typescript"

/** The `.ts` files under a folder of `root` (no `.d.ts`), as paths relative to `root`, sorted. */
export const sourceFiles = (root: string, folder: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) found.push(path)
    }
  }
  walk(folder)
  return found.sort()
}

/** The number of lines of a text (a final newline ends the last line, it does not start one). */
export const lineCount = (text: string): number => {
  if (text === "") return 0
  const lines = text.split("\n").length
  return text.endsWith("\n") ? lines - 1 : lines
}

/** A function (declaration, method, accessor, constructor, function expression or arrow) and its length. */
export interface FunctionSpan {
  /** A readable name: its own, else the variable, property or call it is written in. */
  readonly name: string
  /** 1-based line of its first token (after its doc comment). */
  readonly line: number
  /** Lines from its first line to its last, both included. */
  readonly lines: number
}

/**
 * The name a function goes by: its own, else where it is written (`const x = ...`, `x: ...`); a function
 * passed to a call is named after the call, within the function it is written in (`make/<argument of
 * Effect.gen>`).
 */
const nameOf = (node: ts.SignatureDeclaration, source: ts.SourceFile, outer: string | undefined): string => {
  if (node.name !== undefined) return node.name.getText(source)
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return parent.name.getText(source)
  }
  if (ts.isCallExpression(parent)) {
    const name = `<argument of ${parent.expression.getText(source).slice(0, 40)}>`
    return outer === undefined ? name : `${outer}/${name}`
  }
  return "<anonymous>"
}

/** Every function with a body in a source text, outermost first. */
export const functionsOf = (file: string, text: string): ReadonlyArray<FunctionSpan> => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const found: Array<FunctionSpan> = []
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1
  const visit = (outer: string | undefined) => (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const first = lineOf(node.getStart(source))
      const last = lineOf(node.getEnd())
      const name = nameOf(node, source, outer)
      found.push({ name, line: first, lines: last - first + 1 })
      ts.forEachChild(node, visit(name))
    } else {
      ts.forEachChild(node, visit(outer))
    }
  }
  visit(undefined)(source)
  return found
}

/** Whether an import or export declaration is erased at run time (`import type`, or every name `type`). */
const typeOnly = (statement: ts.ImportDeclaration | ts.ExportDeclaration): boolean => {
  if (ts.isImportDeclaration(statement)) {
    const clause = statement.importClause
    if (clause === undefined) return false // `import "x"`: a side effect
    if (clause.isTypeOnly) return true
    const named = clause.namedBindings
    return clause.name === undefined && named !== undefined && ts.isNamedImports(named) &&
      named.elements.length > 0 && named.elements.every((element) => element.isTypeOnly)
  }
  if (statement.isTypeOnly) return true
  const clause = statement.exportClause
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 &&
    clause.elements.every((element) => element.isTypeOnly)
}

/**
 * The files a source file loads when it is evaluated: the targets of its
 * static imports and re-exports that are not type-only, when they are files
 * of `root` (relative specifiers; `.js` written for `.ts`). Dynamic
 * `import()` is not followed: it runs later, not while the module loads.
 */
export const runtimeImportsOf = (root: string, file: string, text: string): ReadonlyArray<string> => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const targets: Array<string> = []
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue
    const specifier = statement.moduleSpecifier
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) continue
    if (typeOnly(statement)) continue
    const base = resolve(root, dirname(file), specifier.text)
    const candidates = [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, join(base, "index.ts")]
    const target = candidates.find((candidate) => candidate.endsWith(".ts") && existsSync(candidate))
    if (target !== undefined) targets.push(relative(root, target))
  }
  return targets
}

/**
 * The import cycles of a graph (file -> files it loads): one cycle (as a
 * path that returns to its start) per strongly connected component of more
 * than one file, or a file that loads itself.
 */
export const cyclesOf = (graph: ReadonlyMap<string, ReadonlyArray<string>>): ReadonlyArray<ReadonlyArray<string>> => {
  // Tarjan's strongly connected components
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const components: Array<ReadonlyArray<string>> = []
  const connect = (node: string): void => {
    index.set(node, counter)
    low.set(node, counter)
    counter++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!))
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: Array<string> = []
      let member: string | undefined
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      const loopsOnItself = (graph.get(node) ?? []).includes(node)
      if (component.length > 1 || loopsOnItself) components.push(component.sort())
    }
  }
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) connect(node)
  // within each component, a shortest path from its first file back to itself, to show
  return components.map((component) => {
    const members = new Set(component)
    const start = component[0]!
    const previous = new Map<string, string>()
    const queue = [start]
    while (queue.length > 0) {
      const node = queue.shift()!
      for (const next of graph.get(node) ?? []) {
        if (!members.has(next)) continue
        if (next === start) {
          const path = [start]
          for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) path.splice(1, 0, at)
          return [...path, start]
        }
        if (!previous.has(next)) {
          previous.set(next, node)
          queue.push(next)
        }
      }
    }
    return component
  })
}

/** The run-time import graph of the `.ts` files under a folder of `root`. */
export const importGraph = (root: string, folder: string): ReadonlyMap<string, ReadonlyArray<string>> =>
  new Map(
    sourceFiles(root, folder).map((file) => [file, runtimeImportsOf(root, file, readFileSync(join(root, file), "utf8"))])
  )
