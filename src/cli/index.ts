/**
 * `weftjs/cli`: the `weft` command line and the project file it reads.
 *
 * - {@link defineConfig}: gives `weft.config.ts` its type.
 * - {@link Project}: loads a project file (TypeScript without a build step).
 * - {@link Cli}: the `weft` command, to run or embed in another command line.
 *
 * @since 0.2.0
 */

/** The project file's type. @since 0.2.0 */
export * as Config from "./Config.js"

/** Gives a project file its type; see {@link Config}. @since 0.2.0 */
export { defineConfig } from "./Config.js"

/** Loading a project file. @since 0.2.0 */
export * as Project from "./Project.js"

/** The `weft` command, to run or embed. @since 0.2.0 */
export * as Cli from "./Cli.js"
