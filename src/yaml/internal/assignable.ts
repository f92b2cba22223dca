/**
 * Assignability of Schema types at run time: the rule `composeWorkflow`
 * applies at compile time ("the provided type must be assignable to the
 * required type"), computed over Schema ASTs.
 *
 * Types are compared by their type side (a transformation by its decoded
 * type), as TypeScript sees them:
 *
 * - a refinement (a filter such as `NonEmptyString`, `Int`) is satisfied only
 *   by the same refinement, or by a literal that passes it: a plain `string`
 *   does not fit `NonEmptyString` (nothing checks a step's input at run
 *   time, so this is stricter than TypeScript, which does not see filters);
 *   a brand must be matched by the same brand;
 * - literals, keywords, unions (every member of the provided union must fit
 *   some member of the required one; `boolean` is `true | false`), structs
 *   (every required property present, an optional one may be missing, a
 *   provided optional property does not satisfy a required one), records
 *   (index signatures), arrays and tuples (a readonly array does not fit a
 *   mutable one), template literals, enums;
 * - declarations (classes, `Date`, `Option`, ...) only by identity: the same
 *   declaration, with assignable type parameters;
 * - anything else is refused: when the rule cannot prove a fit, it reports a
 *   mismatch rather than let a run fail later.
 *
 * @internal
 */
import { Option, Schema, SchemaAST } from "effect"

type AST = SchemaAST.AST

/** Resolves suspensions; keeps refinements (for brands) and everything else. */
export const unsuspend = (ast: AST): AST => {
  let current = ast
  for (let i = 0; i < 100 && current._tag === "Suspend"; i++) current = current.f()
  return current
}

/** The brands on a type (on itself or along its refinements). */
const brandsOf = (ast: AST): ReadonlyArray<string | symbol> => {
  const brands: Array<string | symbol> = []
  let current: AST = unsuspend(ast)
  for (let i = 0; i < 100; i++) {
    const brand = SchemaAST.getBrandAnnotation(current)
    if (Option.isSome(brand)) brands.push(...brand.value)
    if (current._tag === "Refinement") current = unsuspend(current.from)
    else if (current._tag === "Transformation") current = unsuspend(current.to)
    else break
  }
  return brands
}

/** The type a value of `ast` has, as TypeScript sees it: no filters, no transformations. */
export const base = (ast: AST): AST => {
  let current = unsuspend(ast)
  for (let i = 0; i < 100; i++) {
    if (current._tag === "Refinement") current = unsuspend(current.from)
    else if (current._tag === "Transformation") current = unsuspend(current.to)
    else break
  }
  return current
}

/** Whether `provided` is assignable to `required`. */
export const isAssignable = (provided: AST, required: AST): boolean => assignable(provided, required, new Map(), 0)

/**
 * How deep a comparison goes before it assumes a fit: recursive types whose
 * suspensions make new nodes at each unfolding (`SchemaAST.typeAST` does)
 * are compared this far, then assumed to go on alike.
 */
const maxDepth = 40

/** The filters of the refinements along a type (a refinement of a refinement has two). */
const filtersOf = (ast: AST): ReadonlyArray<unknown> => {
  const filters: Array<unknown> = []
  let current = unsuspend(ast)
  for (let i = 0; i < 100; i++) {
    if (current._tag === "Refinement") {
      filters.push(current.filter)
      current = unsuspend(current.from)
    } else if (current._tag === "Transformation") {
      current = unsuspend(current.to)
    } else break
  }
  return filters
}

const assignable = (provided: AST, required: AST, assumed: Map<AST, Set<AST>>, depth: number): boolean => {
  if (depth > maxDepth) return true
  // each member of a provided union on its own (a literal is then checked against refinements alone)
  const pb = base(provided)
  if (pb._tag === "Union") return pb.types.every((member) => assignable(member, required, assumed, depth + 1))
  const required_ = filtersOf(required)
  const rb = base(required)
  // a required union: the provided type (with its refinements) fits some member
  if (rb._tag === "Union" && required_.length === 0 && brandsOf(required).length === 0) {
    if (pb._tag === "BooleanKeyword") {
      return assignable(new SchemaAST.Literal(true), rb, assumed, depth + 1) &&
        assignable(new SchemaAST.Literal(false), rb, assumed, depth + 1)
    }
    if (pb._tag === "Enums") return pb.enums.every(([, value]) => assignable(new SchemaAST.Literal(value), rb, assumed, depth + 1))
    return rb.types.some((member) => assignable(provided, member, assumed, depth + 1))
  }
  // a refinement (a filter) is satisfied by the same refinement, or by a literal that passes it
  if (required_.length > 0) {
    const provided_ = new Set(filtersOf(provided))
    if (!required_.every((filter) => provided_.has(filter))) {
      if (pb._tag !== "Literal") return false
      try {
        return Schema.is(Schema.make(required))(pb.literal)
      } catch {
        return false
      }
    }
  }
  const requiredBrands = brandsOf(required)
  if (requiredBrands.length > 0) {
    const providedBrands = new Set(brandsOf(provided))
    if (!requiredBrands.every((brand) => providedBrands.has(brand))) return false
  }
  const p = base(provided)
  const r = base(required)
  if (p === r) return true
  // recursive types: a pair already being compared (further up) is assumed to fit
  let seen = assumed.get(p)
  if (seen?.has(r)) return true
  if (seen === undefined) {
    seen = new Set()
    assumed.set(p, seen)
  }
  seen.add(r)
  try {
    return compare(p, r, (a, b) => assignable(a, b, assumed, depth + 1))
  } finally {
    seen.delete(r)
  }
}

type Fits = (provided: AST, required: AST) => boolean

const compare = (p: AST, r: AST, fits: Fits): boolean => {
  if (r._tag === "UnknownKeyword" || r._tag === "AnyKeyword") return true
  if (p._tag === "NeverKeyword" || p._tag === "AnyKeyword") return true
  if (p._tag === "Union") return p.types.every((member) => fits(member, r))
  if (r._tag === "Union") {
    if (p._tag === "BooleanKeyword") {
      return fits(new SchemaAST.Literal(true), r) && fits(new SchemaAST.Literal(false), r)
    }
    if (p._tag === "Enums") {
      return p.enums.every(([, value]) => fits(new SchemaAST.Literal(value), r))
    }
    return r.types.some((member) => fits(p, member))
  }
  switch (r._tag) {
    case "StringKeyword":
      return p._tag === "StringKeyword" || p._tag === "TemplateLiteral" ||
        (p._tag === "Literal" && typeof p.literal === "string") ||
        (p._tag === "Enums" && p.enums.every(([, v]) => typeof v === "string"))
    case "NumberKeyword":
      return p._tag === "NumberKeyword" || (p._tag === "Literal" && typeof p.literal === "number") ||
        (p._tag === "Enums" && p.enums.every(([, v]) => typeof v === "number"))
    case "BooleanKeyword":
      return p._tag === "BooleanKeyword" || (p._tag === "Literal" && typeof p.literal === "boolean")
    case "BigIntKeyword":
      return p._tag === "BigIntKeyword" || (p._tag === "Literal" && typeof p.literal === "bigint")
    case "SymbolKeyword":
      return p._tag === "SymbolKeyword" || p._tag === "UniqueSymbol"
    case "UndefinedKeyword":
      return p._tag === "UndefinedKeyword"
    case "VoidKeyword":
      return p._tag === "VoidKeyword" || p._tag === "UndefinedKeyword"
    case "NeverKeyword":
      return false
    case "Literal":
      return p._tag === "Literal" && p.literal === r.literal
    case "UniqueSymbol":
      return p._tag === "UniqueSymbol" && p.symbol === r.symbol
    case "ObjectKeyword":
      return p._tag === "ObjectKeyword" || p._tag === "TypeLiteral" || p._tag === "TupleType" || p._tag === "Declaration"
    case "TemplateLiteral":
      return p._tag === "Literal" && typeof p.literal === "string" && SchemaAST.getTemplateLiteralRegExp(r).test(p.literal)
    case "Enums":
      return p._tag === "Literal" && r.enums.some(([, value]) => value === p.literal)
    case "TupleType":
      return p._tag === "TupleType" && tupleAssignable(p, r, fits)
    case "TypeLiteral":
      return p._tag === "TypeLiteral" && structAssignable(p, r, fits)
    case "Declaration":
      return p._tag === "Declaration" && sameDeclaration(p, r) &&
        p.typeParameters.length === r.typeParameters.length &&
        p.typeParameters.every((param, i) => fits(param, r.typeParameters[i]!))
    default:
      return false
  }
}

/** Two declarations of the same thing: one object, one type constructor (`Option`, `Chunk`, ...), or one schema id and identifier. */
const sameDeclaration = (p: SchemaAST.Declaration, r: SchemaAST.Declaration): boolean => {
  if (p === r || (p.decodeUnknown === r.decodeUnknown && p.encodeUnknown === r.encodeUnknown)) return true
  const pc = p.annotations[SchemaAST.TypeConstructorAnnotationId] as { readonly _tag?: unknown } | undefined
  const rc = r.annotations[SchemaAST.TypeConstructorAnnotationId] as { readonly _tag?: unknown } | undefined
  if (pc !== undefined && rc !== undefined) return typeof pc._tag === "string" && pc._tag === rc._tag
  const pid = SchemaAST.getIdentifierAnnotation(p)
  const rid = SchemaAST.getIdentifierAnnotation(r)
  const pSchemaId = SchemaAST.getSchemaIdAnnotation(p)
  const rSchemaId = SchemaAST.getSchemaIdAnnotation(r)
  return Option.isSome(pSchemaId) && Option.isSome(rSchemaId) && pSchemaId.value === rSchemaId.value &&
    Option.getOrUndefined(pid) === Option.getOrUndefined(rid)
}

const tupleAssignable = (p: SchemaAST.TupleType, r: SchemaAST.TupleType, fits: Fits): boolean => {
  if (!r.isReadonly && p.isReadonly) return false
  const [rRest, ...rTail] = r.rest
  if (rTail.length > 0) return false
  for (let i = 0; i < r.elements.length; i++) {
    const re = r.elements[i]!
    const pe = p.elements[i]
    if (pe === undefined) {
      // p has fewer fixed elements: fine only if the rest is optional in r and p has no rest
      if (!re.isOptional || p.rest.length > 0) return false
      continue
    }
    if (pe.isOptional && !re.isOptional) return false
    if (!fits(pe.type, re.type)) return false
  }
  const extra = p.elements.slice(r.elements.length)
  if (rRest === undefined) return extra.length === 0 && p.rest.length === 0
  return extra.every((e) => fits(e.type, rRest.type)) &&
    p.rest.every((rest) => fits(rest.type, rRest.type))
}

const structAssignable = (p: SchemaAST.TypeLiteral, r: SchemaAST.TypeLiteral, fits: Fits): boolean => {
  for (const rps of r.propertySignatures) {
    const pps = p.propertySignatures.find((ps) => ps.name === rps.name)
    if (pps === undefined) {
      if (!rps.isOptional) return false
      continue
    }
    if (pps.isOptional && !rps.isOptional) return false
    if (!fits(pps.type, rps.type)) return false
  }
  for (const ris of r.indexSignatures) {
    for (const pps of p.propertySignatures) {
      if (typeof pps.name !== "string") continue
      if (r.propertySignatures.some((ps) => ps.name === pps.name)) continue
      if (!fits(pps.type, ris.type)) return false
    }
    for (const pis of p.indexSignatures) if (!fits(pis.type, ris.type)) return false
  }
  return true
}

// ---------------------------------------------------------------------------
// building and reading types
// ---------------------------------------------------------------------------

export const undefinedType: AST = SchemaAST.undefinedKeyword
export const unknownType: AST = SchemaAST.unknownKeyword
export const stringType: AST = SchemaAST.stringKeyword
export const numberType: AST = SchemaAST.numberKeyword
export const booleanType: AST = SchemaAST.booleanKeyword
export const nullType: AST = new SchemaAST.Literal(null)

/** The union of some types (one type when they are all the same). */
export const union = (types: ReadonlyArray<AST>): AST => {
  const flat: Array<AST> = []
  for (const t of types) {
    const members = t._tag === "Union" ? t.types : [t]
    for (const m of members) if (!flat.some((f) => f === m || sameLiteral(f, m))) flat.push(m)
  }
  if (flat.length === 1) return flat[0]!
  if (flat.length === 0) return SchemaAST.neverKeyword
  return SchemaAST.Union.make(flat)
}

const sameLiteral = (a: AST, b: AST): boolean =>
  (a._tag === "Literal" && b._tag === "Literal" && a.literal === b.literal) ||
  (a._tag === b._tag && (a._tag === "StringKeyword" || a._tag === "NumberKeyword" || a._tag === "BooleanKeyword" ||
    a._tag === "UndefinedKeyword" || a._tag === "UnknownKeyword"))

/** `readonly T[]`. */
export const arrayOf = (element: AST): AST => new SchemaAST.TupleType([], [new SchemaAST.Type(element)], true)

/** The members of a type (itself, or a union's), by their base type. */
export const members = (ast: AST): ReadonlyArray<AST> => {
  const b = base(ast)
  return b._tag === "Union" ? b.types.flatMap(members) : [b]
}

/** Whether a value of this type may be `undefined`. */
export const mayBeUndefined = (ast: AST): boolean =>
  members(ast).some((m) => m._tag === "UndefinedKeyword" || m._tag === "VoidKeyword")

/** The type without `undefined` (and without `null` when `andNull`). */
export const defined = (ast: AST, andNull = false): AST => {
  const kept = members(ast).filter((m) =>
    m._tag !== "UndefinedKeyword" && m._tag !== "VoidKeyword" && !(andNull && m._tag === "Literal" && m.literal === null)
  )
  return kept.length === members(ast).length ? ast : union(kept)
}

/** Whether this type is (or contains) `unknown`/`any`: nothing can be said about it. */
export const isOpaque = (ast: AST): boolean =>
  members(ast).some((m) => m._tag === "UnknownKeyword" || m._tag === "AnyKeyword")

/**
 * The type of field `name` of a value of type `ast`: `{ type }` (with
 * `undefined` when the field is optional in some member), or `undefined` when
 * some member has no such field.
 */
export const fieldType = (ast: AST, name: string): AST | undefined => {
  const found: Array<AST> = []
  for (const m of members(defined(ast))) {
    if (m._tag === "UnknownKeyword" || m._tag === "AnyKeyword") {
      found.push(unknownType)
      continue
    }
    if (m._tag !== "TypeLiteral") return undefined
    const ps = m.propertySignatures.find((p) => p.name === name)
    if (ps !== undefined) {
      found.push(ps.isOptional ? union([ps.type, undefinedType]) : ps.type)
      continue
    }
    const index = m.indexSignatures.find((is) => {
      const param = base(is.parameter)
      return param._tag === "StringKeyword" || param._tag === "TemplateLiteral"
    })
    if (index === undefined) return undefined
    found.push(union([index.type, undefinedType]))
  }
  if (found.length === 0) return undefined
  return union(mayBeUndefined(ast) ? [...found, undefinedType] : found)
}

/** The names of the fields a type's members all have (for "did you mean"). */
export const fieldNames = (ast: AST): ReadonlyArray<string> => {
  const names = new Set<string>()
  for (const m of members(defined(ast))) {
    if (m._tag === "TypeLiteral") for (const ps of m.propertySignatures) if (typeof ps.name === "string") names.add(ps.name)
  }
  return Array.from(names)
}

/** The element type of an array type (every member must be a list), else `undefined`. */
export const elementType = (ast: AST): AST | undefined => {
  const found: Array<AST> = []
  for (const m of members(ast)) {
    if (m._tag === "UnknownKeyword" || m._tag === "AnyKeyword") {
      found.push(unknownType)
      continue
    }
    if (m._tag !== "TupleType") return undefined
    for (const e of m.elements) found.push(e.type)
    for (const r of m.rest) found.push(r.type)
  }
  return found.length === 0 ? undefined : union(found)
}

/** Whether every member of the type is a list. */
export const isList = (ast: AST): boolean => members(ast).every((m) => m._tag === "TupleType")
