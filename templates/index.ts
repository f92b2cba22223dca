/**
 * Ready domain templates, after the Dana workflow design. Each is a folder
 * that can be copied on its own into a project: `index.ts` opens with the
 * template (`template`), then its steps in flow order; `model.ts` holds the
 * Schemas of the state it reads and writes, its typed errors and the service
 * Tags it needs; `memory.ts` gives each service a deterministic in-memory
 * layer (`layerMemory`, with `Testing.Faults` to inject) for tests and demos.
 * Each namespace below re-exports all three.
 *
 * @since 0.1.0
 */

/** Run one batch of a process on one piece of equipment. @since 0.1.0 */
export * as ProcessControl from "./processControl/index.js"

/** From symptoms to a confirmed root cause and its fix. @since 0.1.0 */
export * as Troubleshooting from "./troubleshooting/index.js"

/** Fetch, structure, check and store a document's knowledge. @since 0.1.0 */
export * as KnowledgeIngestion from "./knowledgeIngestion/index.js"

/** From an editorial brief to a published article, with an AI model behind a service. @since 0.1.0 */
export * as ContentPipeline from "./contentPipeline/index.js"

/** Charge, approve large orders by a signal, cool off, ship and mail; or refund. @since 0.1.0 */
export * as OrderProcessing from "./orderProcessing/index.js"

/** Check a time series, fix it in passes until clean, then accept or quarantine it. @since 0.1.0 */
export * as DataQuality from "./dataQuality/index.js"
