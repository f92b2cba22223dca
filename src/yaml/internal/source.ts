/**
 * From YAML text to a small positioned tree: every node keeps its offsets in
 * the source, aliases are resolved (shared, never copied) within a budget of
 * nodes, and every problem the `yaml` parser finds becomes a positioned
 * diagnostic. Nothing here throws on bad input.
 *
 * @internal
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Scalar } from "yaml"
import type { Document, Node as YamlNode } from "yaml"

/** One problem, at an offset range of the source. */
export interface Diagnostic {
  readonly start: number
  readonly end: number
  readonly message: string
}

/** Collects diagnostics; `count` for the caller to know whether to go on. */
export class Diagnostics {
  private readonly list: Array<Diagnostic> = []
  private readonly seen = new Set<string>()
  add(start: number, end: number, message: string): void {
    if (message === "") return
    const id = `${start}:${message}`
    if (this.seen.has(id)) return
    this.seen.add(id)
    this.list.push({ start, end, message })
  }
  get count(): number {
    return this.list.length
  }
  /** In source order. */
  all(): ReadonlyArray<Diagnostic> {
    return [...this.list].sort((a, b) => a.start - b.start || a.end - b.end)
  }
}

interface Base {
  readonly start: number
  readonly end: number
}

/** A scalar: its value as the YAML core schema reads it, and its source text. */
export interface YScalar extends Base {
  readonly kind: "scalar"
  readonly value: string | number | boolean | null
  /** The scalar's text as written (without quotes), e.g. `1.0` for a version. */
  readonly source: string
  /** Offset of the first character of the value itself (after an opening quote). */
  readonly valueStart: number
  /** Whether the value's characters map one to one to the source (plain or quoted without escapes). */
  readonly verbatim: boolean
}

/** One entry of a mapping. */
export interface YEntry {
  readonly key: string
  readonly keyNode: YScalar
  readonly value: YNode
}

export interface YMap extends Base {
  readonly kind: "map"
  readonly entries: ReadonlyArray<YEntry>
}

export interface YSeq extends Base {
  readonly kind: "seq"
  readonly items: ReadonlyArray<YNode>
}

export type YNode = YScalar | YMap | YSeq

/** Limits that keep a hostile document cheap to refuse. */
export interface Limits {
  /** The most characters a file may have. */
  readonly maxLength: number
  /** The most nodes the document may expand to through its aliases. */
  readonly maxNodes: number
  /** The deepest nesting of collections. */
  readonly maxDepth: number
}

export const defaultLimits: Limits = {
  maxLength: 1_000_000,
  maxNodes: 100_000,
  maxDepth: 64
}

/** Offsets to 1-based lines and columns (UTF-16 code units, as editors count). */
export interface Positions {
  readonly at: (offset: number) => { readonly line: number; readonly column: number }
}

const positionsOf = (counter: LineCounter): Positions => ({
  at: (offset) => {
    const { col, line } = counter.linePos(offset)
    return { line, column: col }
  }
})

/** The line starts of a text, for problems found before the parser runs. */
export const positionsOfText = (text: string): Positions => {
  const counter = new LineCounter()
  counter.addNewLine(0)
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) counter.addNewLine(i + 1)
  return positionsOf(counter)
}

const isPrintable = (code: number): boolean =>
  code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0x7e) || code === 0x85 ||
  (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd)

/**
 * Characters YAML does not allow (C0 controls but tab and line breaks, DEL,
 * C1 controls but NEL, U+FFFE/U+FFFF) and lone surrogates, which no store
 * would keep.
 */
const checkCharacters = (text: string, diagnostics: Diagnostics, max: number) => {
  let found = 0
  for (let i = 0; i < text.length && found < max; i++) {
    const code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++
        continue
      }
    }
    if (!isPrintable(code)) {
      const hex = code.toString(16).toUpperCase().padStart(4, "0")
      const what = code >= 0xd800 && code <= 0xdfff ? "a lone surrogate" : "a control character"
      diagnostics.add(i, i + 1, `invalid character U+${hex} (${what}): YAML allows only printable characters`)
      found++
    }
  }
}

/** The parsed tree, or nothing when the text is not a usable YAML document. */
export interface Parsed {
  readonly root: YNode | undefined
  readonly positions: Positions
}

/**
 * Parses `text` into a tree. Syntax problems, invalid characters and resource
 * limits are added to `diagnostics`; then `root` is undefined.
 */
export const parse = (text: string, diagnostics: Diagnostics, limits: Limits = defaultLimits): Parsed => {
  if (text.length > limits.maxLength) {
    diagnostics.add(0, 0, `the file has ${text.length} characters; at most ${limits.maxLength} are read`)
    return { root: undefined, positions: positionsOfText("") }
  }
  const before = diagnostics.count
  checkCharacters(text, diagnostics, 20)
  const counter = new LineCounter()
  let doc: Document.Parsed
  try {
    doc = parseDocument(text, {
      lineCounter: counter,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true
    })
  } catch (error) {
    // the parser reports its own failures as errors; this is a last resort
    diagnostics.add(0, 0, `the YAML parser failed: ${error instanceof Error ? error.message : String(error)}`)
    return { root: undefined, positions: positionsOfText(text) }
  }
  const positions = positionsOf(counter)
  let reported = 0
  for (const problem of [...doc.errors, ...doc.warnings]) {
    if (reported++ >= 50) break
    const [start, end] = problem.pos
    diagnostics.add(start, end, `YAML: ${problem.message.split("\n")[0]}`)
  }
  if (diagnostics.count > before) return { root: undefined, positions }
  if (doc.contents === null) {
    diagnostics.add(0, 0, "the file is empty: a flow is a mapping with name, version and steps")
    return { root: undefined, positions }
  }
  const root = new Converter(doc, text, diagnostics, limits).node(doc.contents, 0)
  return { root: diagnostics.count > before ? undefined : root, positions }
}

/** Converts the `yaml` package's nodes, sharing what aliases share. */
class Converter {
  private readonly done = new Map<YamlNode, YNode>()
  private readonly sizes = new WeakMap<YNode, number>()
  private readonly inProgress = new Set<YamlNode>()
  private total = 0
  private overBudget = false

  constructor(
    private readonly doc: Document.Parsed,
    private readonly text: string,
    private readonly diagnostics: Diagnostics,
    private readonly limits: Limits
  ) {}

  private range(node: YamlNode): readonly [number, number] {
    const range = node.range
    return range === undefined || range === null ? [0, 0] : [range[0], range[1]]
  }

  /** Nodes that failed to convert (a problem was reported): not converted again when an alias repeats them. */
  private readonly failed = new Set<unknown>()

  /** Converts a node; `undefined` after a problem (already reported). */
  node(node: unknown, depth: number): YNode | undefined {
    if (this.overBudget || this.failed.has(node)) return undefined
    const converted = this.convert(node, depth)
    if (converted === undefined) this.failed.add(node)
    return converted
  }

  private convert(node: unknown, depth: number): YNode | undefined {
    if (isAlias(node)) {
      const [start, end] = this.range(node)
      const target = node.resolve(this.doc)
      if (target === undefined) {
        this.diagnostics.add(start, end, `unknown alias *${node.source}: no anchor &${node.source} before it`)
        return undefined
      }
      if (this.inProgress.has(target)) {
        this.diagnostics.add(start, end, `alias *${node.source} refers to a collection that contains it`)
        return undefined
      }
      const converted = this.node(target, depth)
      if (converted === undefined) return undefined
      // an alias costs what its target expands to, so that nested aliases
      // (a "billion laughs") are refused long before they are expanded
      this.total += this.sizeOf(converted)
      if (this.total > this.limits.maxNodes) {
        if (!this.overBudget) {
          this.overBudget = true
          this.diagnostics.add(
            start,
            end,
            `aliases expand the document to more than ${this.limits.maxNodes} nodes: refused (nested anchors and aliases)`
          )
        }
        return undefined
      }
      return converted
    }
    const previous = this.done.get(node as YamlNode)
    if (previous !== undefined) return previous
    if (depth > this.limits.maxDepth) {
      const [start, end] = this.range(node as YamlNode)
      this.diagnostics.add(start, end, `nested more than ${this.limits.maxDepth} levels deep`)
      return undefined
    }
    if (isScalar(node)) return this.remember(node, this.scalar(node), 1)
    if (isMap(node)) {
      this.inProgress.add(node)
      const entries: Array<YEntry> = []
      let size = 1
      let failed = false
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const keyNode = this.key(pair.key, this.range(node)[0])
        const value = pair.value === null
          ? this.nullAt(keyNode === undefined ? this.range(node)[1] : keyNode.end)
          : this.node(pair.value, depth + 1)
        if (keyNode === undefined || value === undefined) {
          failed = true
          continue
        }
        size += 1 + this.sizeOf(value)
        entries.push({ key: String(keyNode.value), keyNode, value })
      }
      this.inProgress.delete(node)
      if (failed) return undefined
      const [start, end] = this.range(node)
      return this.remember(node, { kind: "map", start, end, entries }, size)
    }
    if (isSeq(node)) {
      this.inProgress.add(node)
      const items: Array<YNode> = []
      let size = 1
      let failed = false
      for (const item of node.items) {
        const value = item === null ? this.nullAt(this.range(node)[0]) : this.node(item, depth + 1)
        if (value === undefined) {
          failed = true
          continue
        }
        size += this.sizeOf(value)
        items.push(value)
      }
      this.inProgress.delete(node)
      if (failed) return undefined
      const [start, end] = this.range(node)
      return this.remember(node, { kind: "seq", start, end, items }, size)
    }
    this.diagnostics.add(0, 0, "unexpected YAML node")
    return undefined
  }

  /** How many nodes `node` expands to, its aliases' targets included. */
  private sizeOf(node: YNode): number {
    return this.sizes.get(node) ?? 1
  }

  private remember(source: YamlNode, node: YNode, size: number): YNode {
    this.done.set(source, node)
    this.sizes.set(node, size)
    return node
  }

  private nullAt(offset: number): YScalar {
    return { kind: "scalar", start: offset, end: offset, value: null, source: "", valueStart: offset, verbatim: true }
  }

  private key(key: unknown, fallback: number): YScalar | undefined {
    if (isAlias(key)) {
      const [start, end] = this.range(key)
      this.diagnostics.add(start, end, "an alias cannot be a mapping key")
      return undefined
    }
    if (!isScalar(key)) {
      const [start, end] = key === null || typeof key !== "object" ? [fallback, fallback] : this.range(key as YamlNode)
      this.diagnostics.add(start, end, "a mapping key must be a plain text key")
      return undefined
    }
    const scalar = this.scalar(key)
    if (scalar.value === null) {
      this.diagnostics.add(scalar.start, scalar.end, "a mapping key must not be empty")
      return undefined
    }
    if (String(scalar.value) === "__proto__") {
      this.diagnostics.add(scalar.start, scalar.end, `"__proto__" is not allowed as a key`)
      return undefined
    }
    return scalar
  }

  private scalar(node: Scalar): YScalar {
    const [start, end] = this.range(node)
    const raw = node.value
    const value: string | number | boolean | null = typeof raw === "string" || typeof raw === "boolean" || raw === null
      ? raw
      : typeof raw === "number"
      ? raw
      : String(raw)
    const source = typeof node.source === "string" ? node.source : String(raw)
    const type = node.type
    const quoted = type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE
    const valueStart = quoted ? start + 1 : start
    const written = this.text.slice(valueStart, valueStart + source.length)
    const verbatim = (type === Scalar.PLAIN || quoted) && written === source
    return { kind: "scalar", start, end, value, source, valueStart, verbatim }
  }
}
