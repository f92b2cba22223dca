/**
 * A template's diagram as a self-contained SVG document, drawn from its
 * outline: no script, no style sheet, no network (colours are presentation
 * attributes), so it renders the same inline in the web view, as an image,
 * or saved to a file.
 *
 * The layout is a top-down flow: a sequence stacks its nodes with arrows
 * between them; a branch or parallel node fans out into side-by-side
 * columns that join again; a loop, forEach, nested template or sub-flow is
 * a frame around its body.
 *
 * @internal
 */
import { Duration } from "effect"
import type * as Graph from "../../Graph.js"

/** What the layout draws: a leaf, a frame around a body, or a fork into labelled columns. */
interface DrawNode {
  readonly kind: string
  readonly name: string
  readonly key: string
  readonly detail: string | null
  readonly children: ReadonlyArray<DrawArm>
}

interface DrawArm {
  readonly label: string
  readonly nodes: ReadonlyArray<DrawNode>
}

const millisText = (ms: number): string => Duration.format(Duration.millis(ms))

const concurrencyText = (concurrency: number | "unbounded"): string =>
  concurrency === "unbounded" ? "unbounded" : String(concurrency)

const arms = (list: ReadonlyArray<Graph.Arm>): ReadonlyArray<DrawArm> =>
  list.map((arm) => ({ label: arm.label, nodes: (arm.nodes ?? []).map(toDraw) }))

const body = (nodes: ReadonlyArray<Graph.Node>): ReadonlyArray<DrawArm> => [{ label: "", nodes: nodes.map(toDraw) }]

const toDraw = (node: Graph.Node): DrawNode => {
  switch (node._tag) {
    case "Step": {
      const notes = [
        node.retry ? "retry" : null,
        node.timeoutMs === null ? null : `timeout ${millisText(node.timeoutMs)}`,
        node.onError === "skip" ? "skipped on error" : null,
        node.fallback === null ? null : `fallback ${node.fallback}`
      ].filter((note): note is string => note !== null)
      return { kind: "step", name: node.name, key: node.key, detail: notes.length === 0 ? null : notes.join(", "), children: [] }
    }
    case "Sleep":
      return { kind: "sleep", name: node.name, key: node.key, detail: `sleep ${millisText(node.durationMs)}`, children: [] }
    case "Wait":
      return {
        kind: "wait",
        name: node.name,
        key: node.key,
        detail: `signal "${node.signal}"${node.timeoutMs === null ? "" : `, timeout ${millisText(node.timeoutMs)}`}`,
        children: []
      }
    case "Subflow":
      return {
        kind: "subflow",
        name: node.name,
        key: node.key,
        detail: `${node.graph.name}@${node.graph.version}, a child run`,
        children: body(node.graph.nodes)
      }
    case "Template":
      return { kind: "template", name: `${node.name}@${node.version}`, key: node.key, detail: null, children: body(node.nodes) }
    case "Branch":
      return { kind: "branch", name: node.name, key: node.key, detail: null, children: arms(node.arms) }
    case "Loop":
      return {
        kind: "loop",
        name: node.name,
        key: node.key,
        detail: `${node.check === "after" ? "do-while" : "while"}, at most ${node.maxIterations}`,
        children: body(node.nodes)
      }
    case "ForEach":
      return {
        kind: "forEach",
        name: node.name,
        key: node.key,
        detail: `each ${node.as} of ${node.over}, concurrency ${concurrencyText(node.concurrency)}`,
        children: body(node.nodes)
      }
    case "Parallel":
      return {
        kind: "parallel",
        name: node.name,
        key: node.key,
        detail: `${node.mode === "first" ? "first to succeed" : "all"}, concurrency ${concurrencyText(node.concurrency)}`,
        children: arms(node.branches)
      }
  }
}

const font = 12
const charWidth = 7
const pad = 12
const gap = 22
const columnGap = 18
const leafHeight = 32
const detailHeight = 14
const headerHeight = 24
const labelHeight = 18
const minWidth = 110

/** Escapes text for SVG content and attribute values. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const textWidth = (text: string | null, size = font): number =>
  text === null ? 0 : Math.ceil(text.length * charWidth * (size / font))

interface Box {
  readonly w: number
  readonly h: number
}

const palette: Record<string, { readonly fill: string; readonly stroke: string }> = {
  step: { fill: "#eef3ff", stroke: "#4a6fc9" },
  wait: { fill: "#fff5de", stroke: "#c98500" },
  sleep: { fill: "#f2f2f2", stroke: "#8a8a8a" },
  branch: { fill: "#e8f6ee", stroke: "#2f9a5e" },
  parallel: { fill: "#e8f6ee", stroke: "#2f9a5e" },
  loop: { fill: "#f6f1ff", stroke: "#8461cf" },
  forEach: { fill: "#f6f1ff", stroke: "#8461cf" },
  template: { fill: "#fbfcfe", stroke: "#9aa5b8" },
  subflow: { fill: "#fbfcfe", stroke: "#5d6b86" }
}

const colours = (kind: string) => palette[kind] ?? palette.step!

const isLeaf = (node: DrawNode): boolean => node.children.length === 0
const isFork = (node: DrawNode): boolean => node.kind === "branch" || node.kind === "parallel"

const sequenceBox = (nodes: ReadonlyArray<DrawNode>): Box => {
  if (nodes.length === 0) return { w: minWidth, h: leafHeight }
  const boxes = nodes.map(measure)
  return {
    w: Math.max(...boxes.map((b) => b.w)),
    h: boxes.reduce((sum, b) => sum + b.h, 0) + gap * (boxes.length - 1)
  }
}

const columnBox = (arm: DrawArm): Box => {
  const body = sequenceBox(arm.nodes)
  return { w: Math.max(body.w, textWidth(arm.label, 11) + 8), h: labelHeight + body.h }
}

const measure = (node: DrawNode): Box => {
  const titleWidth = Math.max(textWidth(node.name), textWidth(node.detail, 10.5))
  if (isLeaf(node)) {
    return { w: Math.max(minWidth, titleWidth + 2 * pad + (node.kind === "wait" ? 16 : 0)), h: leafHeight + (node.detail === null ? 0 : detailHeight) }
  }
  const header = leafHeight + (node.detail === null ? 0 : detailHeight)
  if (isFork(node)) {
    const columns = node.children.map(columnBox)
    const width = columns.reduce((sum, c) => sum + c.w, 0) + columnGap * (columns.length - 1)
    return {
      w: Math.max(minWidth, titleWidth + 2 * pad, width),
      h: header + gap + Math.max(...columns.map((c) => c.h)) + gap
    }
  }
  const body = sequenceBox(node.children.flatMap((arm) => arm.nodes))
  const top = headerHeight + (node.detail === null ? 0 : detailHeight)
  return { w: Math.max(minWidth, titleWidth + 2 * pad, body.w + 2 * pad), h: top + body.h + pad }
}

const arrow = (x1: number, y1: number, x2: number, y2: number): string =>
  x1 === x2
    ? `<path d="M${x1} ${y1} V${y2 - 1}" fill="none" stroke="#7b8497" stroke-width="1.3" marker-end="url(#arrow)"/>`
    : `<path d="M${x1} ${y1} V${(y1 + y2) / 2} H${x2} V${y2 - 1}" fill="none" stroke="#7b8497" stroke-width="1.3" marker-end="url(#arrow)"/>`

const line = (x1: number, y1: number, x2: number, y2: number): string =>
  x1 === x2
    ? `<path d="M${x1} ${y1} V${y2}" fill="none" stroke="#7b8497" stroke-width="1.3"/>`
    : `<path d="M${x1} ${y1} V${(y1 + y2) / 2} H${x2} V${y2}" fill="none" stroke="#7b8497" stroke-width="1.3"/>`

const text = (x: number, y: number, content: string, options: { size?: number; fill?: string; weight?: string; anchor?: string } = {}): string =>
  `<text x="${x}" y="${y}" font-size="${options.size ?? font}" fill="${options.fill ?? "#1d2433"}"` +
  `${options.weight === undefined ? "" : ` font-weight="${options.weight}"`} text-anchor="${options.anchor ?? "middle"}"` +
  ` dominant-baseline="middle">${escapeXml(content)}</text>`

const titleLines = (node: DrawNode, cx: number, top: number, height: number): string => {
  if (node.detail === null) return text(cx, top + height / 2, node.name)
  return text(cx, top + height / 2 - 7, node.name) +
    text(cx, top + height / 2 + 8, node.detail, { size: 10.5, fill: "#5b6475" })
}

const kindLabel: Record<string, string> = {
  loop: "loop",
  forEach: "for each",
  template: "template",
  subflow: "sub-flow",
  branch: "branch",
  parallel: "parallel"
}

/** Draws a sequence centred on `cx` from `top`; returns its SVG. */
const drawSequence = (nodes: ReadonlyArray<DrawNode>, cx: number, top: number): string => {
  if (nodes.length === 0) {
    return `<rect x="${cx - minWidth / 2}" y="${top}" width="${minWidth}" height="${leafHeight}" rx="6" fill="none" stroke="#c3c9d5" stroke-dasharray="4 3"/>` +
      text(cx, top + leafHeight / 2, "(nothing)", { fill: "#8a93a5", size: 11 })
  }
  let y = top
  let out = ""
  nodes.forEach((n, i) => {
    const box = measure(n)
    out += drawNode(n, cx, y)
    y += box.h
    if (i < nodes.length - 1) {
      out += arrow(cx, y, cx, y + gap)
      y += gap
    }
  })
  return out
}

const drawNode = (node: DrawNode, cx: number, top: number): string => {
  const box = measure(node)
  const { fill, stroke } = colours(node.kind)
  const left = cx - box.w / 2
  const attrs = `data-kind="${escapeXml(node.kind)}" data-name="${escapeXml(node.name)}" data-key="${escapeXml(node.key)}"`
  if (isLeaf(node)) {
    let shape: string
    if (node.kind === "wait") {
      const inset = 10
      shape = `<polygon points="${left + inset},${top} ${left + box.w - inset},${top} ${left + box.w},${top + box.h / 2} ` +
        `${left + box.w - inset},${top + box.h} ${left + inset},${top + box.h} ${left},${top + box.h / 2}" fill="${fill}" stroke="${stroke}" stroke-width="1.4"/>`
    } else if (node.kind === "sleep") {
      shape = `<rect x="${left}" y="${top}" width="${box.w}" height="${box.h}" rx="${box.h / 2}" fill="${fill}" stroke="${stroke}" stroke-width="1.4"/>`
    } else {
      shape = `<rect x="${left}" y="${top}" width="${box.w}" height="${box.h}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="1.4"/>`
    }
    return `<g class="node" ${attrs}><title>${escapeXml(`${node.kind} ${node.name}`)}</title>${shape}${titleLines(node, cx, top, box.h)}</g>`
  }
  if (isFork(node)) {
    const header = leafHeight + (node.detail === null ? 0 : detailHeight)
    const headerWidth = Math.max(minWidth, Math.max(textWidth(node.name), textWidth(node.detail, 10.5)) + 2 * pad)
    const columns = node.children.map((arm) => ({ arm, box: columnBox(arm) }))
    const total = columns.reduce((sum, c) => sum + c.box.w, 0) + columnGap * (columns.length - 1)
    const columnsTop = top + header + gap
    const joinY = top + box.h - 4
    let out = `<g class="node" ${attrs}><title>${escapeXml(`${node.kind} ${node.name}`)}</title>` +
      `<rect x="${cx - headerWidth / 2}" y="${top}" width="${headerWidth}" height="${header}" rx="${node.kind === "branch" ? 3 : 12}" ` +
      `fill="${fill}" stroke="${stroke}" stroke-width="1.4"${node.kind === "branch" ? "" : ` stroke-dasharray="0"`}/>` +
      titleLines(node, cx, top, header) +
      text(cx - headerWidth / 2 + 4, top - 6, kindLabel[node.kind] ?? node.kind, { size: 9.5, fill: stroke, anchor: "start" }) + "</g>"
    let x = cx - total / 2
    for (const { arm, box: column } of columns) {
      const colCx = x + column.w / 2
      out += arrow(cx, top + header, colCx, columnsTop)
      out += text(colCx, columnsTop + labelHeight / 2, arm.label, { size: 11, fill: stroke, weight: "600" })
      const bodyTop = columnsTop + labelHeight
      out += drawSequence(arm.nodes, colCx, bodyTop)
      const bodyBottom = bodyTop + sequenceBox(arm.nodes).h
      out += line(colCx, bodyBottom, cx, joinY)
      x += column.w + columnGap
    }
    out += `<circle cx="${cx}" cy="${joinY}" r="4" fill="${stroke}"/>`
    return out
  }
  // a frame around a body
  const titleTop = top + 4
  const bodyTop = top + headerHeight + (node.detail === null ? 0 : detailHeight)
  const dashed = node.kind === "template" ? ` stroke-dasharray="5 3"` : ""
  let out = `<g class="node" ${attrs}><title>${escapeXml(`${node.kind} ${node.name}`)}</title>` +
    `<rect x="${left}" y="${top}" width="${box.w}" height="${box.h}" rx="8" fill="${fill}" stroke="${stroke}" stroke-width="1.4"${dashed}/>` +
    (node.kind === "subflow"
      ? `<rect x="${left + 3}" y="${top + 3}" width="${box.w - 6}" height="${box.h - 6}" rx="6" fill="none" stroke="${stroke}" stroke-width="0.8"/>`
      : "") +
    text(left + pad, titleTop + 9, `${kindLabel[node.kind] ?? node.kind} ${node.name}`, { size: 11.5, weight: "600", fill: stroke, anchor: "start" }) +
    (node.detail === null ? "" : text(left + pad, titleTop + 9 + detailHeight, node.detail, { size: 10.5, fill: "#5b6475", anchor: "start" })) +
    "</g>"
  if (node.kind === "loop") {
    // the way back to the top of the body
    const right = left + box.w - 5
    out += `<path d="M${cx} ${top + box.h - pad / 2} H${right} V${bodyTop - 4} H${cx + 8}" fill="none" stroke="${stroke}" stroke-width="1" stroke-dasharray="3 2" marker-end="url(#arrow-back)"/>`
  }
  out += drawSequence(node.children.flatMap((arm) => arm.nodes), cx, bodyTop)
  return out
}

/**
 * The SVG document of a template's diagram, from its graph: a start dot,
 * the nodes in order, an end dot. Each node is a `<g>` carrying its kind,
 * name and step key (`data-kind`, `data-name`, `data-key`).
 */
export const toSvg = (graph: Graph.Graph): string => {
  const title = `${graph.name}@${graph.version}`
  const nodes = graph.nodes.map(toDraw)
  const body = sequenceBox(nodes)
  const margin = 24
  const titleSpace = 30
  const width = Math.max(body.w + 2 * margin, textWidth(title, 14) + 2 * margin)
  const cx = width / 2
  const startY = titleSpace + 8
  const bodyTop = startY + 8 + gap
  const endY = bodyTop + body.h + gap + 8
  const height = endY + 8 + margin
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" role="img" aria-label="${escapeXml(title)}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">` +
    `<path d="M0 0 L10 5 L0 10 z" fill="#7b8497"/></marker>` +
    `<marker id="arrow-back" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">` +
    `<path d="M0 0 L10 5 L0 10 z" fill="#8461cf"/></marker></defs>` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    text(cx, 18, title, { size: 14, weight: "600" }) +
    `<circle cx="${cx}" cy="${startY}" r="7" fill="#1d2433"/>` +
    arrow(cx, startY + 7, cx, bodyTop) +
    drawSequence(nodes, cx, bodyTop) +
    arrow(cx, bodyTop + body.h, cx, endY - 8) +
    `<circle cx="${cx}" cy="${endY}" r="8" fill="none" stroke="#1d2433" stroke-width="2"/><circle cx="${cx}" cy="${endY}" r="4.5" fill="#1d2433"/>` +
    `</svg>`
}
