/**
 * `weftjs/yaml`: YAML flows over registered steps and templates, loaded
 * into ordinary templates and checked at load time.
 *
 * @since 0.2.0
 */

/** Loading, checking and composing YAML flows; the JSON Schema of the format. @since 0.2.0 */
export * as Yaml from "./Yaml.js"
