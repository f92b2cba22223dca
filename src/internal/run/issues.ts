/**
 * A Schema's parse error in words: one issue per bad value, each with its
 * key path and what was expected of it, e.g. `expected a number, got "12"`
 * at `["amount"]` — never a TypeScript-style dump of the Schema
 * (`Expected { readonly approved: boolean; ... }, actual null`). Every
 * decoding weft reports (run input, signal payloads, step outputs, stored
 * values) goes through {@link toIssues}.
 *
 * Built on `ParseResult.ArrayFormatter` (its paths, and the messages a
 * Schema's own `message` annotations give): only the default message of a
 * type mismatch is replaced, and a union's alternatives at one place are
 * reported as one issue (`expected a string or a number, got true`).
 *
 * @internal
 */
import { Option, ParseResult, SchemaAST } from "effect"
import type { Issue } from "../../Errors.js"

/** The first words a Schema gives itself: its description, else its title, else its identifier. */
const ownWords = (ast: SchemaAST.AST): string | undefined =>
  Option.getOrUndefined(
    SchemaAST.getDescriptionAnnotation(ast).pipe(
      Option.orElse(() => SchemaAST.getTitleAnnotation(ast)),
      Option.orElse(() => SchemaAST.getIdentifierAnnotation(ast))
    )
  )

const joinAlternatives = (words: ReadonlyArray<string>): string => {
  const distinct = Array.from(new Set(words))
  return distinct.length <= 1
    ? distinct[0] ?? "nothing"
    : `${distinct.slice(0, -1).join(", ")} or ${distinct[distinct.length - 1]}`
}

/** What a Schema (its AST) accepts, in words: `a number`, `an object`, `"paid" or "rejected"`. */
export const describe = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "Literal":
      return ast.literal === null ? "null" : typeof ast.literal === "bigint" ? `${ast.literal}n` : JSON.stringify(ast.literal)
    case "UniqueSymbol":
      return String(ast.symbol)
    case "UndefinedKeyword":
    case "VoidKeyword":
      return "nothing (undefined)"
    case "NeverKeyword":
      return "nothing"
    case "TypeLiteral":
      return Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast)) ?? "an object"
    case "TupleType":
      return Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast)) ??
        (ast.rest.length > 0 ? "an array" : `an array of ${ast.elements.length}`)
    case "Union":
      return joinAlternatives(ast.types.map(describe))
    case "Enums":
      return joinAlternatives(ast.enums.map(([, value]) => JSON.stringify(value)))
    case "Suspend":
      return describe(ast.f())
    case "Transformation":
      return describe(ast.to)
    case "Refinement":
      return ownWords(ast) ?? describe(ast.from)
    case "TemplateLiteral":
      return `a string like ${String(ast)}`
    default:
      // keywords (`a string`, `a number`, ...) and declarations (`a Date instance`) carry their own description
      return ownWords(ast) ?? String(ast)
  }
}

/** A value as an issue names it: short, JSON-like (`"12"`, `null`, `an array`, `an object`). */
export const got = (actual: unknown): string => {
  if (Array.isArray(actual)) return actual.length === 0 ? "an empty array" : "an array"
  if (actual instanceof Date) return Number.isNaN(actual.getTime()) ? "an invalid date" : actual.toISOString()
  if (typeof actual === "object" && actual !== null) return "an object"
  if (typeof actual === "string") {
    const text = actual.length > 80 ? `${actual.slice(0, 77)}...` : actual
    return JSON.stringify(text)
  }
  if (typeof actual === "bigint") return `${actual}n`
  if (typeof actual === "function") return "a function"
  return String(actual)
}

const hasOwnMessage = (issue: ParseResult.ParseIssue): boolean =>
  "ast" in issue && SchemaAST.getMessageAnnotation(issue.ast)._tag === "Some"

const worded = (ast: SchemaAST.AST, actual: unknown): ParseResult.Type =>
  new ParseResult.Type(ast, actual, `expected ${describe(ast)}, got ${got(actual)}`)

/**
 * The same issue with every default type-mismatch message in words (the
 * messages a Schema gives itself are kept).
 */
const reword = (issue: ParseResult.ParseIssue): ParseResult.ParseIssue => {
  switch (issue._tag) {
    case "Type":
      return issue.message !== undefined || hasOwnMessage(issue) ? issue : worded(issue.ast, issue.actual)
    case "Pointer":
      return new ParseResult.Pointer(issue.path, issue.actual, reword(issue.issue))
    case "Refinement":
      return new ParseResult.Refinement(issue.ast, issue.actual, issue.kind, reword(issue.issue))
    case "Transformation":
      return new ParseResult.Transformation(issue.ast, issue.actual, issue.kind, reword(issue.issue))
    case "Composite": {
      const inner = Array.isArray(issue.issues) ? issue.issues : [issue.issues as ParseResult.ParseIssue]
      // a union none of whose alternatives matched the value's kind: one issue naming them all
      if (
        SchemaAST.isUnion(issue.ast) && !hasOwnMessage(issue) && inner.length > 1 &&
        inner.every((i) => i._tag === "Type" && i.message === undefined && !hasOwnMessage(i))
      ) {
        return worded(SchemaAST.Union.make(inner.map((i) => (i as ParseResult.Type).ast)), issue.actual)
      }
      const reworded = inner.map(reword)
      return new ParseResult.Composite(
        issue.ast,
        issue.actual,
        reworded.length === 1 ? reworded[0]! : reworded as [ParseResult.ParseIssue, ...Array<ParseResult.ParseIssue>],
        issue.output
      )
    }
    default:
      return issue
  }
}

/** Every issue of a parse error, each with its key path and what was wrong, in words. */
export const toIssues = (error: ParseResult.ParseError): ReadonlyArray<Issue> =>
  ParseResult.ArrayFormatter.formatIssueSync(reword(error.issue)).map((issue) => ({
    path: issue.path,
    message: issue.message
  }))
