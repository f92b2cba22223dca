/**
 * An engine whose runs are all taken over at once (issue 24.6): the owner
 * process starts 300 runs and awaits them all, is starved (a busy loop) for
 * longer than a lease while another process takes every run over, then goes
 * on. Every one of its waiters settles, with the run's outcome, soon after
 * the runs end, and the engine then goes idle: its CPU over quiet seconds is
 * near zero. Real processes on a real SQLite file (test/process/takeover.ts).
 */
import { describe, expect, it } from "vitest"
import { takeover } from "./takeover.js"

describe("runs taken over from a starved engine", () => {
  it("every waiter settles with the run's outcome, and the engine goes idle", async () => {
    const result = await takeover({ store: "sqlite", runs: 300, samples: 2, timeoutMillis: 50_000 })
    // the scenario happened: the taker took runs over while the owner was starved
    expect(result.takenOver).toBeGreaterThan(0)
    expect({ right: result.right, wrong: result.wrong, errors: result.errors }).toEqual({ right: 300, wrong: 0, errors: {} })
    // within seconds of the last run's end (generous: the machine may be shared)
    expect(result.settleMillis).toBeLessThan(10_000)
    // idle: no loop left polling the store, nothing else running (generous bound, for a loaded machine)
    for (const sample of result.samples) expect(sample.cpuPercent).toBeLessThan(30)
  }, 120_000)
})
