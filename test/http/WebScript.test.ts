/**
 * The web view's script is checked code: its browser sources
 * (`src/http/internal/web/app/`) type-check under their own tsconfig
 * (`lib: ["dom"]`), and the script the server embeds
 * (`script.generated.ts`) is what `scripts/build-web.ts` builds from them
 * now (else: `npm run build:web`).
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import ts from "typescript"
import { generate, generatedPath } from "../../scripts/build-web.js"

const configPath = fileURLToPath(new URL("../../src/http/internal/web/app/tsconfig.json", import.meta.url))

describe("the web view's script", () => {
  it("type-checks as browser code (lib dom, strict)", () => {
    const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"))
      }
    })!
    expect(config.fileNames.length).toBeGreaterThanOrEqual(7)
    const program = ts.createProgram(config.fileNames, config.options)
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    expect(problems).toEqual([])
  }, 60_000)

  it("is embedded as built from its sources (npm run build:web when this fails)", async () => {
    expect(readFileSync(generatedPath, "utf8")).toBe(await generate())
  }, 60_000)
})
