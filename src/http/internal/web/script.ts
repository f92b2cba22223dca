/**
 * The web view's script: no dependency, no network but this server. It
 * routes on the path (`/`, `/runs/<id>`, `/templates`, `/templates/<name>`),
 * reads the API with `fetch` (with the bearer token when the server asks for
 * one), follows Server-Sent Events by reading the response stream (so that
 * the token goes in a header), and builds every element with the DOM (text
 * is never parsed as HTML).
 *
 * Its sources are typed TypeScript for the browser, in `app/` (one concern
 * per module: `dom`, `api`, `forms`, `runs`, `run`, `templates`, `main`),
 * checked by their own `app/tsconfig.json` (`lib: ["dom"]`, no Node types)
 * as part of `npm run typecheck` and of `test/http/WebScript.test.ts`.
 * `scripts/build-web.ts` bundles them with esbuild into one function and
 * writes it to `script.generated.ts`, committed, so that the server embeds
 * the script and the package builds with `tsc` alone; the same test fails
 * when the committed script is stale (`npm run build:web` rewrites it, and
 * `npm run build` runs it first).
 *
 * @internal
 */
export { script } from "./script.generated.js"
