/**
 * Writing a graph as a Mermaid flowchart (top to bottom), from its layout:
 * one line per box (its shape in Mermaid's syntax), a `subgraph` per group,
 * one line per arrow. Labels are quoted so that Mermaid reads no markup.
 *
 * @internal
 */
import type { FlowchartNode, Graph } from "../../Graph.js"
import { layout } from "./flowchart.js"

/** A label inside Mermaid quotes: quotes and the characters Mermaid reads as markup escaped. */
const quote = (text: string): string =>
  `"${text.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`).replace(/\r?\n/g, " ")}"`

const shapeText = (node: FlowchartNode): string => {
  const label = quote(node.label)
  switch (node.shape) {
    case "start":
    case "end":
      return `${node.id}([${label}])`
    case "step":
      return `${node.id}[${label}]`
    case "sleep":
      return `${node.id}[/${label}/]`
    case "wait":
      return `${node.id}{{${label}}}`
    case "subflow":
      return `${node.id}[[${label}]]`
    case "decision":
      return `${node.id}{${label}}`
    case "fork":
      return `${node.id}[/${label}\\]`
    case "join":
      return `${node.id}((" "))`
  }
}

/** The graph as a Mermaid flowchart (`Graph.toMermaid`). */
export const mermaidOf = (graph: Graph): string => {
  const chart = layout(graph)
  const lines: Array<string> = ["flowchart TD"]
  const childrenOf = (group: string | null) => ({
    nodes: chart.nodes.filter((node) => node.group === group),
    groups: chart.groups.filter((g) => g.group === group)
  })
  const emit = (group: string | null, indent: string): void => {
    const inside = childrenOf(group)
    for (const node of inside.nodes) lines.push(`${indent}${shapeText(node)}`)
    for (const g of inside.groups) {
      lines.push(`${indent}subgraph ${g.id}[${quote(g.label)}]`)
      emit(g.id, `${indent}  `)
      lines.push(`${indent}end`)
    }
  }
  emit(null, "  ")
  for (const edge of chart.edges) {
    lines.push(`  ${edge.from} -->${edge.label === null ? "" : `|${quote(edge.label)}|`} ${edge.to}`)
  }
  return lines.join("\n")
}
