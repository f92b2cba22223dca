/**
 * Global setup of the `system` project: the package built once, as
 * `npm run build` builds it (into `dist/`), for the tests of what npm users
 * get (the built bin, the packed tarball), which then build nothing
 * themselves.
 */
import { execFile } from "node:child_process"
import { repoRoot } from "../build.js"

export default async function setup(): Promise<void> {
  await new Promise<void>((done, fail) =>
    execFile("npm", ["run", "build", "--silent"], { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error === null ? done() : fail(new Error(`npm run build failed:\n${stdout}${stderr}`))
    )
  )
}
