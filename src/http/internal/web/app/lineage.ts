/**
 * Where a run came from, on its page: its parent run and what triggered it.
 *
 * @internal
 */
import { h, link, runHref, time } from "./dom"
import type { Run } from "./types"

/** A run's parent (a sub-flow's child run) and what started it by itself, as description items. */
export function lineage(run: Run): ReadonlyArray<HTMLElement> {
  const items: Array<HTMLElement> = []
  if (run.parentId) items.push(h("dt", null, "Parent"), h("dd", null, link(runHref(run.parentId), h("code", null, run.parentId))))
  const origin = run.triggeredBy
  if (origin) {
    items.push(h("dt", null, "Triggered by"), h("dd", { "data-triggered-by": origin._tag },
      origin._tag === "Schedule"
        ? ["schedule ", h("code", null, origin.schedule), ", tick " + time(origin.tick)]
        : origin._tag === "Webhook"
        ? ["webhook ", h("code", null, origin.hook), ", delivery ", h("code", null, origin.delivery)]
        : ["trigger ", h("code", null, origin.trigger), " after ", link(runHref(origin.runId), h("code", null, origin.runId)), " " + origin.status]))
  }
  return items
}
