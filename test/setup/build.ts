/**
 * Global setup of every test project: the repository's TypeScript built once
 * into `.build/` for the child processes the tests start (`test/build.ts`).
 */
import { buildForTests } from "../build.js"

export default async function setup(): Promise<void> {
  await buildForTests()
}
