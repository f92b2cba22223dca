/**
 * The expression language of YAML flows: conditions (`branch.if`,
 * `loop.while`), selectors (`branch.on`) and the `${...}` of `with:` values.
 *
 * A tokenizer and a Pratt parser build a small syntax tree; a checker types
 * it against the state as the flow leaves it at that point (every reference
 * resolved, every operand's type checked) and turns it into a closure over
 * the state. Nothing is ever evaluated as JavaScript: no `eval`, no
 * `Function`, no property lookup outside a value's own fields.
 *
 * ```text
 * expr   := a ?? b | a or b | a and b | not a | a == b | a != b | a < b | a <= b | a > b | a >= b
 *         | a in list | a + b | a - b | a * b | a / b | a % b | -a | postfix
 * postfix:= primary ( .name | [expr] )*
 * primary:= number | "text" | 'text' | true | false | null | [a, b, ...] | ( expr ) | ${ expr }
 *         | name | fn(args)     fn: len any all count sum contains; a lambda argument: x => expr
 * names  := inputs.x | steps.<id>.x | vars.x | state.x | x (a state key) | a lambda's parameter
 * ```
 *
 * The parts: `expr/tokens.ts` (the tokenizer), `expr/syntax.ts` (the tree
 * and the parser), `expr/check.ts` (checking and compiling; functions in
 * `expr/functions.ts`, operators in `expr/operators.ts`) and `expr/kinds.ts`
 * (the kinds of types and the equality of values).
 *
 * @internal
 */
export { type Compiled, compile, type Resolved, type Scope } from "./expr/check.js"
export { equals, overlaps, type StateView } from "./expr/kinds.js"
export { type Expr, parse } from "./expr/syntax.js"
export { type Problem, type Token, tokenize } from "./expr/tokens.js"
