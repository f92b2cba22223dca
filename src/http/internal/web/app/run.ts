/**
 * The page of one run: its record, state, trace (a timeline), waits and
 * actions, followed live from its events.
 *
 * @internal
 */
import { api, type ApiError, errorBox, stream } from "./api"
import {
  app,
  badge,
  clear,
  duration,
  enc,
  fill,
  h,
  isFinal,
  link,
  page,
  pretty,
  setLive,
  templateHref,
  throttle,
  time
} from "./dom"
import { forksCard, stepTools } from "./fork"
import { schemaForm } from "./forms"
import { commonActions, historyCard } from "./history"
import { lineage } from "./lineage"
import type { ErrorSummary, EventData, RunDetail, TemplateDetail, TraceEntry, Wait } from "./types"

/** A step in flight, from the run's events. */
interface Active {
  readonly startedAt: number
  readonly attempt: number
  readonly error?: ErrorSummary | undefined
}

/** What the page holds of its run. */
interface View {
  detail: RunDetail | null
  trace: ReadonlyArray<TraceEntry>
  /** `undefined` before it is asked for, `null` while it loads, `false` when it cannot be read. */
  template: TemplateDetail | null | false | undefined
  active: Record<string, Active>
  open: Record<string, boolean>
  signalKey: string | null
  confirming: boolean
}

/**
 * The Re-run button of a failed or cancelled top-level run (it goes on from
 * its last checkpoint), or `null` for any other run.
 */
const rerunButton = (
  run: RunDetail["run"],
  note: HTMLElement,
  done: () => void,
  failed: (error: Parameters<typeof errorBox>[0]) => void
): HTMLButtonElement | null => {
  if ((run.status !== "failed" && run.status !== "cancelled") || run.parentId !== null) return null
  const button: HTMLButtonElement = h("button", {
    id: "rerun",
    onclick: () => {
      button.disabled = true
      api("POST", "/runs/" + enc(run.runId) + "/rerun").then(() => {
        note.textContent = "Re-running from its last checkpoint."
        done()
      }, (error) => {
        button.disabled = false
        failed(error)
      })
    },
    title: "Continue from the last checkpoint: completed steps are not run again"
  }, "Re-run")
  return button
}

/** The waits to offer signal forms for: the one the run waits at, else (unknown) every wait of its template. */
function waitsToShow(detail: RunDetail, t: TemplateDetail | null | false | undefined): ReadonlyArray<Wait> {
  const run = detail.run
  if (!t) return []
  const waiting = detail.waitingFor
  if (waiting && waiting.signal) {
    const signal = waiting.signal
    const matching = t.waits.filter((w) => w.signal === signal)
    return matching.length > 0 ? matching.slice(0, 1) : [{ signal, name: signal, schema: {} }]
  }
  // where the run waits is unknown: offer every wait of its template
  const seen: Record<string, boolean> = {}
  return t.waits.filter((w) => {
    if (seen[w.signal]) return false
    seen[w.signal] = true
    return run.status === "suspended"
  })
}

/** The page of run `runId`. */
export function runPage(runId: string): void {
  const gen = page.generation
  const view: View = { detail: null, trace: [], template: undefined, active: {}, open: {}, signalKey: null, confirming: false }
  const title = h("h1")
  const problem = h("div")
  const failure = h("div", { id: "run-error" })
  const meta = h("div", { class: "card" })
  const actions = h("div", { class: "toolbar", id: "run-actions" })
  const signals = h("div", { id: "signals" })
  const timeline = h("div", { class: "timeline", id: "timeline" })
  const stateView = h("pre", { class: "json", id: "state" }, "...")
  fill(app, title, problem, failure, actions, signals,
    h("div", { class: "card" }, h("h2", null, "Timeline"), timeline),
    h("div", { class: "row" },
      h("div", { class: "grow" }, meta),
      h("div", { class: "grow" }, h("div", { class: "card" }, h("h2", null, "State"), stateView))), forksCard(runId), historyCard(runId))
  const tools = stepTools(runId, () => view.template)
  fill(title, "Run ", h("code", null, runId))

  function load(): Promise<void> {
    return Promise.all([
      api<RunDetail>("GET", "/runs/" + enc(runId)),
      api<ReadonlyArray<TraceEntry>>("GET", "/runs/" + enc(runId) + "/trace")
    ]).then((r) => {
      if (gen !== page.generation) return
      if (!following) follow()
      clear(problem)
      view.detail = r[0]
      view.trace = r[1]
      view.trace.forEach((entry) => {
        delete view.active[entry.step]
      })
      if (isFinal(view.detail.run.status)) view.active = {}
      if (view.template === undefined) loadTemplate(view.detail)
      draw(view.detail)
    }, (error: { readonly status?: number; readonly tag?: string; readonly message?: string }) => {
      if (gen !== page.generation) return
      if (error.status === 404 && error.tag === "RunNotFound") return gone()
      fill(problem, errorBox(error))
      // the run's progress is followed once it could be read
      if (!following) {
        setTimeout(() => {
          if (gen === page.generation && !following) load()
        }, 2000)
      }
    })
  }

  /** The run does not exist (or no longer): say so, in place of its cards; nothing is followed. */
  function gone() {
    page.current.dispose()
    setLive("off")
    fill(app, h("h1", null, "Run ", h("code", null, runId)),
      h("div", { class: "card notice", id: "no-run" },
        h("p", null, "There is no run with id ", h("code", null, runId), " on this server."),
        h("p", null, link("/", "See the runs"))))
  }

  function loadTemplate(detail: RunDetail) {
    const run = detail.run
    view.template = null
    api<TemplateDetail>("GET", "/templates/" + enc(run.templateName) + "?version=" + enc(run.templateVersion)).then((t) => {
      if (gen !== page.generation) return
      view.template = t
      drawSignals()
    }, () => {
      view.template = false
      drawSignals()
    })
  }

  function draw(detail: RunDetail) {
    const run = detail.run
    fill(title, "Run ", h("code", null, runId), badge(run.status))
    fill(failure, run.error ? errorBox(run.error) : null)
    const end = isFinal(run.status) ? run.updatedAt : Date.now()
    fill(meta, h("h2", null, "Run"), h("dl", { class: "meta" },
      h("dt", null, "Template"), h("dd", null,
        link(templateHref(run.templateName, run.templateVersion), run.templateName + "@" + run.templateVersion)),
      h("dt", null, "Status"), h("dd", null, badge(run.status)),
      h("dt", null, "Created"), h("dd", null, time(run.createdAt)),
      h("dt", null, "Updated"), h("dd", null, time(run.updatedAt)),
      h("dt", null, isFinal(run.status) ? "Took" : "Age"), h("dd", null, duration(end - run.createdAt)),
      h("dt", null, "Steps"), h("dd", null, String(view.trace.length)),
      lineage(run),
      run.queue && run.queue !== "default" ? [h("dt", null, "Queue"), h("dd", null, run.queue)] : null,
      (run.status === "suspended" || run.pausedFrom === "suspended") && detail.waitingFor ? [h("dt", null, "Waiting for"), h("dd", null,
        detail.waitingFor.signal ? ["signal ", h("code", null, detail.waitingFor.signal)] : "a timer",
        detail.waitingFor.deadline ? ", until " + time(detail.waitingFor.deadline) : "")] : null,
      run.expiresAt ? [h("dt", null, "Expires"), h("dd", null, time(run.expiresAt))] : null))
    drawActions(detail)
    drawSignals()
    drawTimeline()
    stateView.textContent = pretty(detail.state)
  }

  function drawActions(detail: RunDetail) {
    const status = detail.run.status
    const note = h("span", { class: "muted", id: "action-note" })
    let cancel: HTMLButtonElement | null = null
    if (status === "queued" || status === "running" || status === "suspended" || status === "paused") {
      const button: HTMLButtonElement = h("button", {
        class: "danger",
        id: "cancel",
        onclick: () => {
          if (!view.confirming) {
            view.confirming = true
            button.textContent = "Confirm cancel"
            return
          }
          button.disabled = true
          api("POST", "/runs/" + enc(runId) + "/cancel").then(() => {
            view.confirming = false
            load()
          }, (error) => {
            view.confirming = false
            fill(problem, errorBox(error))
            load()
          })
        }
      }, view.confirming ? "Confirm cancel" : "Cancel run")
      cancel = button
    }
    let resume: HTMLButtonElement | null = null
    if (status === "suspended") {
      const button: HTMLButtonElement = h("button", {
        id: "resume", title: "Continue from the last checkpoint",
        onclick: () => {
          button.disabled = true
          api("POST", "/runs/" + enc(runId) + "/resume").then(() => {
            note.textContent = "Resumed."
            load()
          }, (error) => {
            button.disabled = false
            fill(problem, errorBox(error))
          })
        }
      }, "Resume")
      resume = button
    }
    fill(
      actions,
      cancel,
      resume,
      controlButton(runId, detail, note, load, (e) => fill(problem, errorBox(e))),
      rerunButton(detail.run, note, load, (error) => fill(problem, errorBox(error))),
      commonActions(runId, status, detail.run.templateName),
      note
    )
  }


  function drawSignals() {
    const detail = view.detail
    if (!detail) return
    const run = detail.run
    const waits = run.status === "suspended" || run.pausedFrom === "suspended" ? waitsToShow(detail, view.template) : []
    const key = run.status + "|" + waits.map((w) => w.signal).join(",")
    if (key === view.signalKey) return
    view.signalKey = key
    if (waits.length === 0) {
      clear(signals)
      return
    }
    const target = detail.waitingFor && detail.waitingFor.runId ? detail.waitingFor.runId : runId
    fill(signals, waits.map((wait) =>
      h("div", { class: "card", "data-signal": wait.signal },
        h("h2", null, "Send signal ", h("code", null, wait.signal)),
        target !== runId ? h("p", { class: "muted" }, "It goes to the sub-flow's run ", h("code", null, target), ".") : null,
        schemaForm(wait.schema, {
          id: "signal-" + wait.signal,
          submitLabel: "Send " + wait.signal,
          submit: (payload) =>
            api("POST", "/runs/" + enc(target) + "/signals/" + enc(wait.signal), payload).then(() => {
              load()
              return "Signal sent."
            })
        }))
    ))
  }

  function entriesNow(detail: RunDetail, now: number): Array<TraceEntry> {
    const run = detail.run
    const entries = view.trace.slice()
    Object.keys(view.active).forEach((step) => {
      const a = view.active[step]!
      entries.push({
        step,
        name: step.split("/").pop() || step,
        status: "active",
        attempts: a.attempt,
        startedAt: a.startedAt,
        endedAt: Math.max(now, a.startedAt),
        durationMs: Math.max(0, now - a.startedAt),
        error: a.error || null,
        delta: null
      })
    })
    if (run.status === "suspended") {
      const waiting = detail.waitingFor
      entries.push({
        step: waiting ? waiting.step : "(wait)",
        name: waiting && waiting.signal ? "waiting for " + waiting.signal : "waiting",
        status: "waiting",
        attempts: 1,
        startedAt: run.updatedAt,
        endedAt: Math.max(now, run.updatedAt),
        durationMs: Math.max(0, now - run.updatedAt),
        error: null,
        delta: null
      })
    }
    return entries
  }

  function drawTimeline() {
    const detail = view.detail
    if (!detail) return
    const run = detail.run
    const now = Date.now()
    const entries = entriesNow(detail, now)
    clear(timeline)
    if (entries.length === 0) {
      timeline.appendChild(h("div", { class: "empty" }, run.status === "queued" ? "Waiting for a worker" : "No step has ended yet"))
      timeline.appendChild(h("div"))
      return
    }
    const t0 = run.createdAt
    const t1 = Math.max(...entries.map((e) => e.endedAt).concat([isFinal(run.status) ? run.updatedAt : now, t0 + 1]))
    const span = t1 - t0
    timeline.appendChild(h("div", { class: "axis-label faint" }, "step"))
    timeline.appendChild(h("div", { class: "axis faint" }, h("span", null, "0"), h("span", null, duration(span))))
    entries.forEach((entry) => drawEntry(entry, t0, span))
  }

  function drawEntry(entry: TraceEntry, t0: number, span: number) {
    const left = Math.max(0, Math.min(100, ((entry.startedAt - t0) / span) * 100))
    const width = Math.max(0.6, Math.min(100 - left, ((entry.endedAt - entry.startedAt) / span) * 100))
    const bar = h("div", { class: "bar " + entry.status + (entry.attempts > 1 ? " retried" : ""), title: entry.status })
    bar.style.left = left + "%"
    bar.style.width = width + "%"
    const info = h("span", { class: "info" }, entry.status === "active" ? "running " : entry.status === "waiting" ? "suspended " : "",
      duration(entry.durationMs),
      entry.attempts > 1 ? h("span", { class: "retry", title: "retried" }, "\u21BB " + entry.attempts + " attempts") : null,
      entry.status === "skipped" || entry.status === "fallback" ? h("span", { class: "faint" }, " (" + entry.status + ")") : null)
    const errorLine = entry.error
      ? h("div", { class: "err-line" }, h("span", { class: "tag" }, entry.error.tag), " ", entry.error.message)
      : null
    const end = left + width
    if (end <= 70) {
      info.style.left = end + "%"
      info.style.marginLeft = "6px"
    } else if (left >= 30) {
      info.style.right = (100 - left) + "%"
      info.style.marginRight = "6px"
    } else {
      info.style.left = left + "%"
      info.style.marginLeft = "6px"
      info.className = "info inside"
    }
    const toggle = () => {
      view.open[entry.step] = !view.open[entry.step]
      drawTimeline()
    }
    timeline.appendChild(h("div", { class: "label", title: entry.step, onclick: toggle, "data-step": entry.step },
      h("span", { class: "key" }, entry.name), entry.step !== entry.name ? h("span", { class: "faint" }, " " + entry.step) : null))
    timeline.appendChild(h("div", { class: "track", onclick: toggle, "data-step": entry.step, "data-status": entry.status },
      bar, info, errorLine))
    if (view.open[entry.step]) {
      timeline.appendChild(h("div", { class: "detail", "data-step": entry.step },
        h("div", { class: "muted" }, time(entry.startedAt), " - ", time(entry.endedAt), ", ", entry.attempts + " attempt(s)"),
        entry.error ? errorBox(entry.error) : null,
        entry.delta === null
          ? h("div", { class: "faint" }, entry.status === "active" ? "in progress" : "output not available")
          : [h("div", null, "Output"), h("pre", { class: "json" }, pretty(entry.delta.set)),
            entry.delta.unset.length > 0 ? h("div", null, "Removed: ", entry.delta.unset.join(", ")) : null],
        tools.section(entry)))
    }
  }

  const refresh = throttle(() => {
    load()
  }, 300)

  function onEvent(event: string, data: EventData) {
    if (data && data.runId === runId && data.step !== undefined) {
      const step = data.step
      const at = data.at ?? Date.now()
      if (event === "StepStarted") view.active[step] = { startedAt: at, attempt: 1 }
      else if (event === "StepRetried") {
        const a = view.active[step] || { startedAt: at }
        view.active[step] = { startedAt: a.startedAt, attempt: data.attempt ?? 1, error: data.error }
      } else if (event === "StepCompleted" || event === "StepFailed") delete view.active[step]
      if (view.detail) drawTimeline()
    }
    refresh()
  }

  let following = false
  let stop = (): void => {}
  let ticker: ReturnType<typeof setInterval> | null = null
  function follow() {
    following = true
    stop = stream("/runs/" + enc(runId) + "/events", onEvent, () => {
      load()
    })
    ticker = setInterval(() => {
      if (view.detail && Object.keys(view.active).length > 0) drawTimeline()
    }, 250)
  }
  page.current.dispose = () => {
    stop()
    if (ticker !== null) clearInterval(ticker)
  }
  load()
}

/** Pause (an active run not paused yet) or Unpause (a paused run, or one whose pause is still being asked). */
function controlButton(
  runId: string,
  detail: RunDetail,
  note: HTMLElement,
  reload: () => void,
  failed: (error: ApiError) => void
): HTMLButtonElement | null {
  const run = detail.run
  const pausing = run.status === "running" && run.pausedFrom === "running"
  const paused = run.status === "paused" || pausing
  if (!paused && run.status !== "queued" && run.status !== "running" && run.status !== "suspended") return null
  if (pausing) note.textContent = "Pausing: it stops after its step in flight."
  const action = paused ? "unpause" : "pause"
  const button: HTMLButtonElement = h("button", {
    id: action,
    title: paused ? "Let the run go on from where it was" : "Hold the run back: an executing one finishes its step first",
    onclick: () => {
      button.disabled = true
      api("POST", "/runs/" + enc(runId) + "/" + action).then(() => {
        note.textContent = paused ? "Unpaused." : "Paused."
        reload()
      }, (error) => {
        button.disabled = false
        failed(error)
      })
    }
  }, paused ? "Unpause" : "Pause")
  return button
}
