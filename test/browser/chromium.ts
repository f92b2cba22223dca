/**
 * What the browser tests share: headless Chromium (found on the PATH or at
 * `/usr/bin/chromium`; the tests are skipped without it, unless `CI` is
 * set), launched once per test file, a page per test (closed with its
 * scope, its script errors collected), the screenshots folder, and a check
 * for texts drawn over each other.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import type { Browser, Page } from "playwright-core"
import { chromium } from "playwright-core"
import { afterAll, beforeAll } from "vitest"

const executablePath = (() => {
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim() || undefined
  } catch {
    return existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined
  }
})()

/** Whether the browser tests are skipped: no Chromium here, outside CI. */
export const skip = executablePath === undefined && process.env.CI === undefined

/** Where the browser tests write their screenshots. */
export const screenshots = fileURLToPath(new URL("./__screenshots__/", import.meta.url))

/** Launches Chromium before the file's tests and closes it after them; the browser, once launched. */
export const useBrowser = (): (() => Browser) => {
  let browser: Browser | undefined
  beforeAll(async () => {
    if (skip) return
    mkdirSync(screenshots, { recursive: true })
    browser = await chromium.launch({
      executablePath: executablePath ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync"
      ]
    })
  })
  afterAll(async () => {
    await browser?.close()
  })
  return () => browser!
}

/** A page in a context of its own (closed with the scope), and the script errors it raises. */
export const openPage = (browser: () => Browser, viewport = { width: 1280, height: 900 }) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const context = await browser().newContext({ viewport })
      const page = await context.newPage()
      const errors: Array<string> = []
      page.on("pageerror", (error) => errors.push(error.message))
      return { page, errors, close: () => context.close() }
    }),
    ({ close }) => Effect.promise(close)
  )

/**
 * Pairs of visible texts whose boxes overlap (labels drawn over each other):
 * a script evaluated in the page (the tests' compiler has no DOM types).
 */
const overlapsScript = `(() => {
  const boxes = []
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    const text = (node.textContent || "").trim()
    if (text === "" || node.parentElement === null) continue
    const style = getComputedStyle(node.parentElement)
    if (style.visibility === "hidden" || style.display === "none") continue
    const range = document.createRange()
    range.selectNodeContents(node)
    for (const r of Array.from(range.getClientRects())) if (r.width > 0 && r.height > 0) boxes.push({ text, r, node })
  }
  const out = []
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      if (boxes[i].node === boxes[j].node) continue // one text's own line boxes
      const a = boxes[i].r
      const b = boxes[j].r
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left)
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)
      if (x > 2 && y > 2) out.push(boxes[i].text + " / " + boxes[j].text)
    }
  }
  return out
})()`

/** The pairs of visible texts drawn over each other on the page. */
export const overlaps = (page: Page): Promise<ReadonlyArray<string>> => page.evaluate(overlapsScript)
