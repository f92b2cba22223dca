/**
 * YAML as a file format for the built-in `read` / `write` steps (the core
 * knows JSON, JSON lines and text; YAML's parser lives with YAML flows).
 *
 * @internal
 */
import { parse, stringify } from "yaml"
import type { Steps } from "../../index.js"

/** Parses and writes YAML (aliases limited, as for flows). */
export const yamlCodec: Steps.Codec = {
  parse: (text) => parse(text, { maxAliasCount: 100, prettyErrors: false }) as unknown,
  stringify: (value) => stringify(value)
}
