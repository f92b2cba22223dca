/**
 * The web view's script: plain JavaScript, no dependency, no network but
 * this server. It routes on the path (`/`, `/runs/<id>`, `/templates`,
 * `/templates/<name>`), reads the API with `fetch` (with the bearer token
 * when the server asks for one), follows Server-Sent Events by reading the
 * response stream (so that the token goes in a header), and builds every
 * element with the DOM (text is never parsed as HTML).
 *
 * Written without backquotes and dollar-brace so that it sits in raw
 * template literals unchanged. Its parts (in `script/`, one concern each)
 * share one function scope: they are joined, in order, inside one
 * immediately invoked function.
 *
 * @internal
 */
import { api } from "./script/api.js"
import { core } from "./script/core.js"
import { forms } from "./script/forms.js"
import { routing } from "./script/routing.js"
import { run } from "./script/run.js"
import { runs } from "./script/runs.js"
import { templates } from "./script/templates.js"

export const script = ["(function () {\n", core, api, routing, runs, forms, run, templates, "})();\n"].join("")
