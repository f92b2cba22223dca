/**
 * `Metrics.summarize` and `Metrics.percentiles`: counts by status and
 * template, failure rate over finished runs, nearest-rank percentiles,
 * retries and timeouts per step, weft's own steps left out.
 */
import { describe, expect, it } from "@effect/vitest"
import { Metrics } from "weftjs"
import type { RunRecord, StepSample } from "../../src/SnapshotStore.js"

const run = (runId: string, templateName: string, status: RunRecord["status"], duration: number): RunRecord => ({
  runId,
  templateName,
  templateVersion: "1",
  status,
  seq: 0,
  createdAt: 1000,
  updatedAt: 1000 + duration,
  expiresAt: null,
  error: null,
  timeoutMillis: 0,
  elapsedMillis: 0,
  wakeAt: null,
  waitingFor: null,
  parentId: null,
  rootId: runId,
  queue: "default",
  owner: null,
  leaseUntil: null,
  generation: 1,
  traceContext: null,
  templateFingerprint: null
})

const step = (stepName: string, overrides: Partial<StepSample> = {}): StepSample => ({
  templateName: "orders",
  stepName,
  status: "completed",
  attempts: 1,
  startedAt: 0,
  endedAt: 10,
  errorTag: null,
  ...overrides
})

describe("Metrics", () => {
  it("percentiles: nearest rank over the sorted durations", () => {
    expect(Metrics.percentiles([])).toEqual({ count: 0, p50: null, p95: null, p99: null })
    expect(Metrics.percentiles([5])).toEqual({ count: 1, p50: 5, p95: 5, p99: 5 })
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(Metrics.percentiles(hundred)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99 })
  })

  it("summarize: counts, failure rates, per-template durations, per-step retries and timeouts", () => {
    const m = Metrics.summarize({
      since: 0,
      until: 5000,
      sampled: false,
      runs: [
        run("a", "orders", "completed", 100),
        run("b", "orders", "failed", 300),
        run("c", "orders", "running", 0),
        run("d", "audit", "completed", 50)
      ],
      steps: [
        step("price", { attempts: 3 }),
        step("price", { status: "failed", errorTag: "StepTimeout", endedAt: 40 }),
        step("~wait", { stepName: "~wait" })
      ],
      queues: []
    })
    expect(m.total).toBe(4)
    expect(m.byStatus).toEqual({ completed: 2, failed: 1, running: 1 })
    expect(m.failureRate).toBeCloseTo(1 / 3)
    expect(m.templates.map((t) => [t.template, t.total, t.failureRate, t.durationMs.p50, t.durationMs.count])).toEqual([
      ["orders@1", 3, 0.5, 100, 2],
      ["audit@1", 1, 0, 50, 1]
    ])
    expect(m.steps).toEqual([{
      template: "orders",
      step: "price",
      count: 2,
      failed: 1,
      retries: 2,
      timeouts: 1,
      durationMs: { count: 2, p50: 10, p95: 40, p99: 40 }
    }])
  })
})
