#!/usr/bin/env node
/**
 * The `weft` bin: runs the command on `process.argv` and exits with its exit
 * code (0 success, 1 a run failed or the store failed, 2 bad usage or input).
 *
 * @since 0.2.0
 */
import { main } from "./Cli.js"

main()
