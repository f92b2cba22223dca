/**
 * What the server needs to know of its templates beyond their graph: the
 * waits its runs may suspend at (with their Schemas, for the signal forms),
 * and the templates they run as sub-flows (whose child runs it serves too).
 *
 * @internal
 */
import type * as Durable from "../../Durable.js"
import * as Template from "../../Template.js"

/** Visits a template's nodes, nested templates and control flow included; `subflows` says whether to enter sub-flows. */
const visit = (template: Template.Template.Any, subflows: boolean, f: (node: Template.Node) => void): void =>
  Template.nodes(template, { intoSubflows: subflows, once: true }).forEach(f)

/**
 * Every `waitForSignal` a run of the template may suspend at, in order:
 * its own, and those of its sub-flows (which suspend a child run: the
 * signal goes to that run).
 */
export const waitsOf = (template: Template.Template.Any): ReadonlyArray<Durable.WaitForSignal.Any> => {
  const found: Array<Durable.WaitForSignal.Any> = []
  visit(template, true, (node) => {
    if (node._tag === "WaitForSignal") found.push(node)
  })
  return found
}

/** The templates a template runs as sub-flows, at any depth. */
export const subflowTemplatesOf = (template: Template.Template.Any): ReadonlyArray<Template.Template.Any> => {
  const found: Array<Template.Template.Any> = []
  visit(template, true, (node) => {
    if (node._tag === "Subflow") found.push(node.template)
  })
  return found
}
