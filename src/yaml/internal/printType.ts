/**
 * Printing a Schema type as TypeScript would print it (brands, refinements
 * by their name, `boolean` for `true | false`), for messages.
 *
 * @internal
 */
import { Option, SchemaAST } from "effect"
import { defined, unsuspend } from "./assignable.js"

type AST = SchemaAST.AST

/** A type as TypeScript would print it, shortened when long. */
export const describe = (ast: AST): string => {
  const text = print(ast, 0)
  return text.length > 240 ? `${text.slice(0, 237)}...` : text
}

const print = (ast: AST, depth: number): string => {
  if (depth > 6) return "..."
  const b = unsuspend(ast)
  const brand = SchemaAST.getBrandAnnotation(b)
  const brandText = Option.isSome(brand) ? ` & Brand<${brand.value.map(String).join(", ")}>` : ""
  switch (b._tag) {
    case "Refinement": {
      const name = Option.orElse(SchemaAST.getIdentifierAnnotation(b), () => SchemaAST.getTitleAnnotation(b))
      return Option.isSome(name) ? name.value + brandText : `${print(b.from, depth)} (refined)${brandText}`
    }
    case "Transformation":
      return print(b.to, depth)
    case "StringKeyword":
      return "string" + brandText
    case "NumberKeyword":
      return "number" + brandText
    case "BooleanKeyword":
      return "boolean" + brandText
    case "BigIntKeyword":
      return "bigint"
    case "SymbolKeyword":
      return "symbol"
    case "UndefinedKeyword":
      return "undefined"
    case "VoidKeyword":
      return "void"
    case "NeverKeyword":
      return "never"
    case "UnknownKeyword":
      return "unknown"
    case "AnyKeyword":
      return "any"
    case "ObjectKeyword":
      return "object"
    case "Literal":
      return typeof b.literal === "string" ? JSON.stringify(b.literal) : String(b.literal)
    case "UniqueSymbol":
      return String(b.symbol)
    case "Enums":
      return b.enums.map(([, v]) => JSON.stringify(v)).join(" | ")
    case "TemplateLiteral":
      return "`" + b.head + b.spans.map((s) => "${" + print(s.type, depth + 1) + "}" + s.literal).join("") + "`"
    case "Union": {
      const hasBooleans = b.types.some((t) => t._tag === "Literal" && t.literal === true) &&
        b.types.some((t) => t._tag === "Literal" && t.literal === false)
      const parts = b.types
        .filter((t) => !(hasBooleans && t._tag === "Literal" && typeof t.literal === "boolean"))
        .map((t) => print(t, depth + 1))
      return [...parts, ...(hasBooleans ? ["boolean"] : [])].join(" | ")
    }
    case "TupleType": {
      if (b.elements.length === 0 && b.rest.length === 1) {
        const element = unsuspend(b.rest[0]!.type)
        const inner = print(element, depth + 1)
        return `${element._tag === "Union" || element._tag === "Enums" ? `(${inner})` : inner}[]`
      }
      const items = [
        ...b.elements.map((e) => print(e.type, depth + 1) + (e.isOptional ? "?" : "")),
        ...b.rest.map((r) => `...${print(r.type, depth + 1)}[]`)
      ]
      return `[${items.join(", ")}]`
    }
    case "TypeLiteral": {
      const fields = [
        ...b.propertySignatures.map((ps) =>
          `${String(ps.name)}${ps.isOptional ? "?" : ""}: ${print(ps.isOptional ? defined(ps.type) : ps.type, depth + 1)}`
        ),
        ...b.indexSignatures.map((is) => `[key: ${print(is.parameter, depth + 1)}]: ${print(is.type, depth + 1)}`)
      ]
      return fields.length === 0 ? "{}" : `{ ${fields.join("; ")} }`
    }
    case "Declaration": {
      const id = SchemaAST.getIdentifierAnnotation(b)
      const title = SchemaAST.getTitleAnnotation(b)
      return Option.getOrElse(id, () => Option.getOrElse(title, () => "declaration"))
    }
    case "Suspend":
      return "..."
  }
}
