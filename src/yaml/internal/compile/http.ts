/**
 * `http:` steps.
 *
 * @internal
 */
import type { YMap } from "../source.js"
import type { Compilation, Compiled, StepInfo, Walk } from "./context.js"

export const httpStep = (cx: Compilation, item: YMap, _info: StepInfo, walk: Walk): Compiled => {
  cx.error(item, "http steps are not available yet")
  return { nodes: [], walk }
}
