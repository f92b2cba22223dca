import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // the package's entry points, resolved to the sources (as tsconfig.json's `paths` does)
    alias: [
      { find: /^weftjs$/, replacement: src("index.ts") },
      { find: /^weftjs\/sqlite$/, replacement: src("sqlite.ts") },
      { find: /^weftjs\/pg$/, replacement: src("pg.ts") },
      { find: /^weftjs\/cli$/, replacement: src("cli/index.ts") },
      { find: /^weftjs\/http$/, replacement: src("http/index.ts") },
      { find: /^weftjs\/yaml$/, replacement: src("yaml/index.ts") },
      { find: /^weftjs\/otel$/, replacement: src("otel.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    typecheck: {
      enabled: true,
      include: ["test/types/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
      ignoreSourceErrors: false
    },
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
