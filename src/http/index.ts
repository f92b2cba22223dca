/**
 * `weftjs/http`: the HTTP API and the live web view.
 *
 * @since 0.2.0
 */

/** The HTTP API (HttpApi, OpenAPI), its server layer and the web view. @since 0.2.0 */
export * as Http from "./Http.js"

/** The built-in HTTP step (`HttpClient`, retries honouring `Retry-After`, a Schema for the response). @since 0.4.0 */
export * as HttpStep from "./HttpStep.js"
