import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Schedule } from "effect"
import { Settings } from "weftjs"

/** A provider that reads like the process environment (`_` between path segments). */
const env = (vars: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars)), { pathDelim: "_" }))

describe("Settings", () => {
  it.effect("defaults follow the design: persistence on, TTL 3600 s, 3 retries, 5 s delay, 10 workflows, 300 s", () =>
    Effect.gen(function*() {
      const settings = yield* Settings.get.pipe(env({}))
      expect(settings).toEqual(Settings.defaults)
      expect(settings.statePersistence).toBe(true)
      expect(Duration.toSeconds(settings.stateTtl)).toBe(3600)
      expect(settings.maxRetries).toBe(3)
      expect(Duration.toSeconds(settings.retryDelay)).toBe(5)
      expect(settings.maxConcurrentWorkflows).toBe(10)
      expect(Duration.toSeconds(settings.workflowTimeout)).toBe(300)
      expect(settings.database).toBe("weft.db")
    }))

  it.effect("reads WEFT_ variables", () =>
    Effect.gen(function*() {
      const settings = yield* Settings.get.pipe(env({
        WEFT_STATE_PERSISTENCE: "false",
        WEFT_STATE_TTL: "0",
        WEFT_MAX_RETRIES: "7",
        WEFT_RETRY_DELAY: "2",
        WEFT_MAX_CONCURRENT_WORKFLOWS: "3",
        WEFT_WORKFLOW_TIMEOUT: "60",
        WEFT_DATABASE: "/tmp/x.db",
        WEFT_LEASE: "12.5",
        WEFT_POLL_INTERVAL: "0.25",
        WEFT_RECOVERY: "false",
        WEFT_SHUTDOWN_GRACE: "0",
        WEFT_MAX_RECOVERY_ATTEMPTS: "2"
      }))
      expect(settings).toEqual({
        statePersistence: false,
        stateTtl: Duration.infinity,
        maxRetries: 7,
        retryDelay: Duration.seconds(2),
        maxConcurrentWorkflows: 3,
        workflowTimeout: Duration.seconds(60),
        database: "/tmp/x.db",
        leaseDuration: Duration.millis(12_500),
        pollInterval: Duration.millis(250),
        recovery: false,
        shutdownGrace: Duration.zero,
        maxRecoveryAttempts: 2
      })
    }))

  it.effect("lease and poll interval must be above 0; the grace may be 0", () =>
    Effect.gen(function*() {
      expect(String(yield* Effect.flip(Settings.get.pipe(env({ WEFT_LEASE: "0" }))))).toContain("LEASE")
      expect(String(yield* Effect.flip(Settings.get.pipe(env({ WEFT_POLL_INTERVAL: "-1" }))))).toContain("POLL_INTERVAL")
      expect(String(yield* Effect.flip(Settings.get.pipe(env({ WEFT_SHUTDOWN_GRACE: "soon" }))))).toContain(
        "SHUTDOWN_GRACE"
      )
    }))

  it.effect("a malformed variable is a ConfigError naming it", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Settings.get.pipe(env({ WEFT_MAX_CONCURRENT_WORKFLOWS: "0" })))
      expect(String(error)).toContain("MAX_CONCURRENT_WORKFLOWS")
      const notNumber = yield* Effect.flip(Settings.get.pipe(env({ WEFT_MAX_RETRIES: "many" })))
      expect(String(notNumber)).toContain("MAX_RETRIES")
    }))

  it.effect("settings in context win over the environment", () =>
    Effect.gen(function*() {
      const settings = yield* Settings.get.pipe(
        Effect.provide(Settings.layerWith({ maxRetries: 1 })),
        env({ WEFT_MAX_RETRIES: "9" })
      )
      expect(settings.maxRetries).toBe(1)
    }))

  it.effect("the default retry policy makes maxRetries retries", () =>
    Effect.gen(function*() {
      let attempts = 0
      yield* Effect.flip(Effect.retry(
        Effect.suspend(() => {
          attempts++
          return Effect.fail("x")
        }),
        Settings.defaultRetry({ ...Settings.defaults, retryDelay: Duration.zero }) as Schedule.Schedule<unknown, string>
      ))
      expect(attempts).toBe(4)
    }))
})
