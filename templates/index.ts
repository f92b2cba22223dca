/**
 * Ready domain templates, after the Dana workflow design: each module holds a
 * template (`template`), its steps, the Schemas of the state it reads and
 * writes, its typed errors and the services it needs, each service with a
 * deterministic in-memory layer (`layerMemory`) for tests and demos.
 *
 * @since 0.1.0
 */

/** Run one batch of a process on one piece of equipment. @since 0.1.0 */
export * as ProcessControl from "./processControl.js"

/** From symptoms to a confirmed root cause and its fix. @since 0.1.0 */
export * as Troubleshooting from "./troubleshooting.js"

/** Fetch, structure, check and store a document's knowledge. @since 0.1.0 */
export * as KnowledgeIngestion from "./knowledgeIngestion.js"

/** From an editorial brief to a published article, with an AI model behind a service. @since 0.1.0 */
export * as ContentPipeline from "./contentPipeline.js"

/** Charge, approve large orders by a signal, cool off, ship and mail; or refund. @since 0.1.0 */
export * as OrderProcessing from "./orderProcessing.js"

/** Check a time series, fix it in passes until clean, then accept or quarantine it. @since 0.1.0 */
export * as DataQuality from "./dataQuality.js"
