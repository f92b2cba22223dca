/**
 * Turns the ```ts blocks of a Markdown file into one TypeScript module, and
 * type-checks it, reporting every error at its line in the Markdown file.
 *
 * - The blocks are concatenated in order into one module: a later block may
 *   use what an earlier one declared. Their imports are hoisted to the top and
 *   merged (one `import { a, b } from "x"` per module), so every block can
 *   show the imports it needs without clashing with the others.
 * - A line `expression // => expected` becomes an assertion that the
 *   expression deep-equals `expected` when the module runs.
 * - ```sh, ```text and other blocks are left alone.
 */
import ts from "typescript"

/** A fenced ```ts block: its code, and the Markdown line (1-based) of its first code line. */
export interface Block {
  readonly code: string
  readonly line: number
}

/** The generated module, and the Markdown line of each of its lines (0 for generated lines). */
export interface Module {
  readonly source: string
  readonly lineMap: ReadonlyArray<number>
}

/** A problem found by the compiler, at its line in the Markdown file. */
export interface Problem {
  readonly line: number
  readonly message: string
}

/** The ```ts (or ```typescript) blocks of a Markdown text, in order. */
export const extractBlocks = (markdown: string): ReadonlyArray<Block> => {
  const lines = markdown.split("\n")
  const blocks: Array<Block> = []
  let current: { lang: string; start: number; code: Array<string> } | undefined
  lines.forEach((text, i) => {
    const fence = /^```(\S*)/.exec(text)
    if (current === undefined) {
      if (fence !== null) current = { lang: fence[1] ?? "", start: i + 2, code: [] }
      return
    }
    if (/^```\s*$/.test(text)) {
      if (current.lang === "ts" || current.lang === "typescript") {
        blocks.push({ code: current.code.join("\n"), line: current.start })
      }
      current = undefined
      return
    }
    current.code.push(text)
  })
  if (current !== undefined) throw new Error(`unclosed code block at line ${current.start - 1}`)
  return blocks
}

interface ImportSet {
  readonly named: Set<string>
  readonly other: Set<string>
}

/** `expression // => expected`: the expression and the expected value, both JavaScript. */
const outputComment = /^(\s*)(\S.*?)\s*\/\/ => (.+)$/

/**
 * The module of some blocks. `assert` names the function the `// =>` lines
 * call: `assert(actual, expected, "README.md:<line>")`.
 */
export const toModule = (
  blocks: ReadonlyArray<Block>,
  options: { readonly file: string; readonly header: ReadonlyArray<string>; readonly assert: string }
): Module => {
  const imports = new Map<string, ImportSet>()
  const body: Array<string> = []
  const bodyMap: Array<number> = []
  for (const block of blocks) {
    const source = ts.createSourceFile("block.ts", block.code, ts.ScriptTarget.ES2022, true)
    const lines = block.code.split("\n")
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement)) continue
      const specifier = (statement.moduleSpecifier as ts.StringLiteral).text
      const set = imports.get(specifier) ?? { named: new Set<string>(), other: new Set<string>() }
      imports.set(specifier, set)
      const clause = statement.importClause
      const bindings = clause?.namedBindings
      if (clause !== undefined && clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          set.named.add((clause.isTypeOnly ? "type " : "") + element.getText(source))
        }
      } else {
        set.other.add(statement.getText(source))
      }
      // blank the import's lines, so that every other line keeps its place
      const first = source.getLineAndCharacterOfPosition(statement.getStart(source)).line
      const last = source.getLineAndCharacterOfPosition(statement.getEnd()).line
      for (let l = first; l <= last; l++) lines[l] = ""
    }
    lines.forEach((text, i) => {
      const line = block.line + i
      const output = outputComment.exec(text)
      body.push(
        output === null
          ? text
          : `${output[1]}${options.assert}(${output[2]}, ${output[3]}, ${JSON.stringify(`${options.file}:${line}`)})`
      )
      bodyMap.push(line)
    })
  }
  const head = [...options.header]
  for (const [specifier, set] of imports) {
    if (set.named.size > 0) head.push(`import { ${Array.from(set.named).join(", ")} } from ${JSON.stringify(specifier)}`)
    head.push(...set.other)
  }
  return { source: [...head, ...body].join("\n") + "\n", lineMap: [...head.map(() => 0), ...bodyMap] }
}

/**
 * Type-checks modules with the project's compiler options (unused locals
 * allowed: documentation declares things to show them). Returns the problems
 * of each module, by its path.
 */
export const typeCheck = (
  tsconfigPath: string,
  modules: ReadonlyArray<{ readonly path: string; readonly module: Module; readonly file: string }>
): ReadonlyMap<string, ReadonlyArray<Problem>> => {
  const config = ts.readConfigFile(tsconfigPath, (path) => ts.sys.readFile(path))
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, tsconfigPath.replace(/[/\\][^/\\]+$/, ""))
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    noUnusedLocals: false,
    noUnusedParameters: false
  }
  const program = ts.createProgram(modules.map((m) => m.path), options)
  const result = new Map<string, ReadonlyArray<Problem>>()
  for (const { file, module, path } of modules) {
    const sourceFile = program.getSourceFile(path)
    if (sourceFile === undefined) throw new Error(`${path} is not in the program`)
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile)
    ]
    result.set(
      path,
      diagnostics.map((diagnostic) => {
        const at = diagnostic.start === undefined
          ? 0
          : sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line
        const line = module.lineMap[at] ?? 0
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")
        return { line, message: `${file}:${line}: TS${diagnostic.code}: ${message}` }
      })
    )
  }
  return result
}

/** The Markdown line of the first frame of a stack trace in the generated file that maps to one. */
export const markdownLineOf = (stack: string, generatedName: string, module: Module): number | undefined => {
  const escaped = generatedName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  for (const match of stack.matchAll(new RegExp(`${escaped}:(\\d+)`, "g"))) {
    const line = module.lineMap[Number(match[1]) - 1]
    if (line !== undefined && line > 0) return line
  }
  return undefined
}
