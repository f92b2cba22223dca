/**
 * Reads the doc comments of the sources: their ```ts blocks under
 * `@example`, their `@category` tags, and which public exports have one.
 * Used by `DocExamples.test.ts`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { isAbsolute, join, relative, resolve } from "node:path"
import ts from "typescript"

/** The `@category` names a doc comment may use (PLAN.md). */
export const categories: ReadonlyArray<string> = [
  "models",
  "constructors",
  "combinators",
  "layers",
  "services",
  "tags",
  "errors",
  "type helpers",
  "type ids",
  "guards",
  "accessors",
  "running",
  "formatting",
  "validation",
  "constants",
  "config",
  "time",
  "testing",
  "utils"
]

/** The `.ts` files under some folders of `root` (no `.d.ts`), as paths relative to `root`, sorted. */
export const sourceFiles = (root: string, folders: ReadonlyArray<string>): ReadonlyArray<string> => {
  const found: Array<string> = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) found.push(path)
    }
  }
  for (const folder of folders) if (existsSync(join(root, folder))) walk(folder)
  return found.sort()
}

/** One doc comment: its lines without the comment markers, and the file line (1-based) of each. */
interface DocComment {
  readonly lines: ReadonlyArray<{ readonly text: string; readonly line: number }>
}

/** The `/** ... *\/` comments of a source text. */
const docComments = (text: string): ReadonlyArray<DocComment> => {
  const comments: Array<DocComment> = []
  for (const match of text.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const first = text.slice(0, match.index).split("\n").length
    const lines = match[0].split("\n").map((raw, i) => ({
      text: raw.replace(/^\s*\/\*\*\s?/, "").replace(/\s*\*\/$/, "").replace(/^\s*\*(?: |$)/, ""),
      line: first + i
    }))
    comments.push({ lines })
  }
  return comments
}

/** A ```ts block under an `@example` tag. */
export interface Example {
  /** The file, relative to the project root. */
  readonly file: string
  /** The file line (1-based) of the block's first code line. */
  readonly line: number
  readonly code: string
}

/**
 * The ```ts (or ```typescript) blocks under the `@example` tags of a file's
 * doc comments (a tag's section ends at the next tag or the comment's end).
 */
export const examplesOf = (file: string, text: string): ReadonlyArray<Example> => {
  const examples: Array<Example> = []
  for (const comment of docComments(text)) {
    let inExample = false
    let block: { line: number; code: Array<string> } | undefined
    for (const { line, text: content } of comment.lines) {
      if (block !== undefined) {
        if (/^```\s*$/.test(content)) {
          examples.push({ file, line: block.line, code: block.code.join("\n") })
          block = undefined
        } else {
          block.code.push(content)
        }
        continue
      }
      const tag = /^@(\w+)/.exec(content.trim())
      if (tag !== null) inExample = tag[1] === "example"
      if (inExample && /^```(ts|typescript)\s*$/.test(content.trim())) block = { line: line + 1, code: [] }
    }
    if (block !== undefined) throw new Error(`${file}:${block.line - 1}: unclosed code block in an @example`)
  }
  return examples
}

/** Every `@category` tag of a file's doc comments, with its line. */
export const categoriesOf = (text: string): ReadonlyArray<{ readonly category: string; readonly line: number }> =>
  docComments(text).flatMap((comment) =>
    comment.lines.flatMap(({ line, text: content }) => {
      const tag = /@category\s+(.*\S)/.exec(content)
      return tag === null ? [] : [{ category: tag[1] ?? "", line }]
    })
  )

/** A generated module: its source, and the file line of each of its lines (0 for generated lines). */
export interface Generated {
  readonly source: string
  readonly lineMap: ReadonlyArray<number>
}

/**
 * The module of an example: its code, with relative imports resolved from
 * the project root (examples are written as a user's project would import
 * `./templates/index.js`), and made a module so that examples do not share
 * a global scope.
 */
export const toModule = (example: Example, root: string): Generated => {
  const source = ts.createSourceFile("example.ts", example.code, ts.ScriptTarget.ES2022, true)
  let code = example.code
  const specifiers = source.statements.flatMap((statement) =>
    (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier !== undefined && ts.isStringLiteral(statement.moduleSpecifier) &&
      statement.moduleSpecifier.text.startsWith(".")
      ? [statement.moduleSpecifier]
      : []
  )
  // replace from the end, so that earlier positions stay valid
  for (const specifier of [...specifiers].reverse()) {
    code = code.slice(0, specifier.getStart(source)) + JSON.stringify(resolve(root, specifier.text)) +
      code.slice(specifier.getEnd())
  }
  const lines = code.split("\n")
  return {
    source: [...lines, "export {}"].join("\n") + "\n",
    lineMap: [...lines.map((_, i) => example.line + i), 0]
  }
}

/** The source entry of each public entry point of the package (`exports` of package.json that exist). */
export const entryPoints = (root: string): ReadonlyArray<string> => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    readonly exports?: Record<string, { readonly default?: string } | string | null>
  }
  return Object.values(pkg.exports ?? {}).flatMap((target) => {
    const built = typeof target === "string" ? target : target?.default
    if (built === undefined || !/^\.\/dist\/.*\.js$/.test(built)) return []
    const path = join(root, built.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"))
    return existsSync(path) ? [path] : []
  })
}

/** A compiler program with the project's options (unused locals allowed: examples declare things to show them). */
export const makeProgram = (root: string, rootNames: ReadonlyArray<string>): ts.Program => {
  const tsconfigPath = join(root, "tsconfig.json")
  const config = ts.readConfigFile(tsconfigPath, (path) => ts.sys.readFile(path))
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
  return ts.createProgram(rootNames, { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false })
}

/** The compiler's errors in a generated module, each as `file:line: TSnnnn: message` at its line in `file`. */
export const problemsOf = (
  program: ts.Program,
  path: string,
  generated: Generated,
  file: string
): ReadonlyArray<{ readonly line: number; readonly message: string }> => {
  const sourceFile = program.getSourceFile(path)
  if (sourceFile === undefined) throw new Error(`${path} is not in the program`)
  return [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)].map(
    (diagnostic) => {
      const at = diagnostic.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line
      const line = generated.lineMap[at] ?? 0
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")
      return { line, message: `${file}:${line}: TS${diagnostic.code}: ${message}` }
    }
  )
}

/**
 * A public export: its name as users write it (`Step.retryOn`), where it is
 * declared, and the tags of its doc comment (`undefined`: it has none).
 * `grouping`: a module re-exported as a namespace (`export * as Step`), a
 * `namespace` or a member of one, which carry no `@category`.
 */
export interface PublicExport {
  readonly name: string
  readonly file: string
  readonly line: number
  readonly doc: { readonly since: boolean; readonly category: string | undefined } | undefined
  readonly grouping: boolean
}

/** The statement whose doc comment documents a declaration: a re-export's is its `export ... from`. */
const documentedNode = (declaration: ts.Declaration): ts.Node =>
  ts.isExportSpecifier(declaration)
    ? declaration.parent.parent
    : ts.isNamespaceExport(declaration)
    ? declaration.parent
    : declaration

/** The tags of the doc comments of some declarations, merged (`undefined`: none has a doc comment). */
const docOf = (declarations: ReadonlyArray<ts.Declaration>): PublicExport["doc"] => {
  const nodes = declarations.map(documentedNode).filter((node) => ts.getJSDocCommentsAndTags(node).length > 0)
  if (nodes.length === 0) return undefined
  const tags = nodes.flatMap((node) => ts.getJSDocCommentsAndTags(node)).flatMap((doc) =>
    ts.isJSDoc(doc) ? Array.from(doc.tags ?? []) : [doc]
  )
  const category = tags.find((tag) => tag.tagName.text === "category")
  return {
    since: tags.some((tag) => tag.tagName.text === "since"),
    category: category === undefined ? undefined : ts.getTextOfJSDocComment(category.comment)?.trim()
  }
}

/**
 * Every export reachable from the entry points: each entry's exports, the
 * exports of the modules they re-export as namespaces (`export * as Step`),
 * and the members of exported `namespace`s, each once. A re-export's doc
 * comment is its own, else that of what it names.
 */
export const publicExports = (program: ts.Program, root: string, entries: ReadonlyArray<string>): ReadonlyArray<PublicExport> => {
  const checker = program.getTypeChecker()
  const seen = new Set<ts.Symbol>()
  const found: Array<PublicExport> = []
  const where = (declaration: ts.Declaration | undefined) => {
    if (declaration === undefined) return { file: "?", line: 0 }
    const sourceFile = declaration.getSourceFile()
    const file = isAbsolute(sourceFile.fileName) ? relative(root, sourceFile.fileName) : sourceFile.fileName
    return { file, line: sourceFile.getLineAndCharacterOfPosition(declaration.getStart(sourceFile)).line + 1 }
  }
  const visitModule = (module: ts.Symbol, prefix: string, inNamespace: boolean) => {
    for (const symbol of checker.getExportsOfModule(module)) visit(symbol, prefix + symbol.name, inNamespace)
  }
  const visit = (symbol: ts.Symbol, name: string, inNamespace: boolean) => {
    const isAlias = (symbol.flags & ts.SymbolFlags.Alias) !== 0
    const target = isAlias ? checker.getAliasedSymbol(symbol) : symbol
    if (seen.has(target)) return
    seen.add(target)
    const declarations = target.declarations ?? []
    const own = isAlias ? docOf(symbol.declarations ?? []) : undefined
    if (declarations.some(ts.isSourceFile)) {
      // a module re-exported as a namespace: its exports are public, under its name
      found.push({ name, ...where(symbol.declarations?.[0]), doc: own, grouping: true })
      return visitModule(target, `${name}.`, false)
    }
    const isNamespace = (target.flags & ts.SymbolFlags.NamespaceModule) !== 0
    found.push({
      name,
      ...where(declarations[0]),
      doc: own ?? docOf(declarations),
      grouping: inNamespace || isNamespace
    })
    if (isNamespace) visitModule(target, `${name}.`, true)
  }
  for (const entry of entries) {
    const sourceFile = program.getSourceFile(entry)
    const module = sourceFile === undefined ? undefined : checker.getSymbolAtLocation(sourceFile)
    if (module === undefined) throw new Error(`${entry} is not a module of the program`)
    visitModule(module, "", false)
  }
  return found
}
