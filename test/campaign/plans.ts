/**
 * The named campaigns and their sizes: long (`npm run campaign`) and short
 * (`--short`, what the test suite and CI run).
 */
import { type Report, startResumeCampaign, workersCampaign } from "./campaigns.js"

/** Every campaign, in the order `npm run campaign` runs them. */
export const campaignNames: ReadonlyArray<string> = ["start-resume", "start-recover", "sqlite", "pg"]

/** How to run one. */
export interface RunOptions {
  readonly short: boolean
  readonly seed: number
  readonly say?: ((line: string) => void) | undefined
}

/** Runs the campaign `name`. */
export const runCampaign = (name: string, { say, seed, short }: RunOptions): Promise<Report> => {
  switch (name) {
    case "start-resume":
    case "start-recover":
      return startResumeCampaign({
        name,
        second: name === "start-resume" ? "resumer" : "recoverer",
        seed,
        runs: short ? 300 : 3000,
        starterKills: short ? 1 : 3,
        leaseMillis: 3000,
        say
      })
    case "sqlite":
      return workersCampaign({
        name,
        store: "sqlite",
        seed,
        runs: short ? 100 : 600,
        workers: 3,
        concurrency: 4,
        killEverySteps: short ? [25, 45] : [12, 24],
        killDelayMs: 25,
        leaseMillis: 5000,
        pollMillis: 250,
        napMillis: 300,
        say
      })
    case "pg":
      return workersCampaign({
        name,
        store: "pg",
        seed,
        runs: short ? 200 : 1200,
        workers: 4,
        concurrency: 8,
        killEverySteps: short ? [60, 100] : [100, 200],
        killDelayMs: 25,
        leaseMillis: 5000,
        pollMillis: 500,
        napMillis: 300,
        say
      })
    default:
      return Promise.reject(new Error(`unknown campaign ${name}`))
  }
}
