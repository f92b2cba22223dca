/**
 * The flows of `yamlLoad.ts`: N chained steps over a registry of N steps
 * (step i reads `k<i>` and writes `k<i+1>`, so that the state grows by one
 * key per step); every other step maps its input with `with:` to a
 * reference to the step before it (`${steps.<id>.k<i>}`), and every tenth
 * step is a `branch` with a condition on the last key.
 */
import { Effect, Schema } from "effect"
import { Step } from "weftjs"
import type { Yaml } from "weftjs/yaml"

/** A registry of `n` steps, step i reading `k<i>` and writing `k<i+1>`. */
export const registryOf = (n: number): Yaml.Registry => {
  const steps: Record<string, Step.Step.Any> = {}
  for (let i = 0; i < n; i++) {
    const from = `k${i}`
    const to = `k${i + 1}`
    steps[`step_${i}`] = Step.make({
      name: `step_${i}`,
      requires: { [from]: Schema.Number },
      provides: { [to]: Schema.Number },
      run: (input: Record<string, number>) => Effect.succeed({ [to]: (input[from] ?? 0) + 1 })
    }) as unknown as Step.Step.Any
  }
  return { steps }
}

/** A flow of `n` chained steps over `registryOf(n)`. */
export const flowOf = (n: number): string => {
  const lines = ["name: chain", "version: \"1\"", "inputs:", "  k0: number", "steps:"]
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) {
      lines.push(
        `  - id: b${i}`,
        "    branch:",
        `      if: k${i} > 0`,
        "      then:",
        `        - use: step_${i}`,
        "      else:",
        `        - id: other_${i}`,
        `          use: step_${i}`,
        `          with: { k${i}: 0 }`
      )
    } else if (i % 2 === 1) {
      lines.push(`  - use: step_${i}`, "    with:", `      k${i}: \${steps.step_${i - 1}.k${i}}`)
    } else {
      lines.push(`  - use: step_${i}`)
    }
  }
  return `${lines.join("\n")}\n`
}

