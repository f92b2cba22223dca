/**
 * Composing ready templates into a larger flow: ingest a document into the
 * knowledge store, turn what was learnt into an editorial brief, and write,
 * review and publish an article about it.
 *
 *   knowledge_ingestion  →  brief_from_knowledge  →  content_pipeline
 *   sourceId, contentType   source, knowledgeItems     brief
 *   → source, knowledgeItems → brief                   → outline, draft, review, publication
 *
 * `composeWorkflow` checks at compile time that each part's inputs are
 * provided upstream with compatible types; the composite requires only what
 * no part provides: `sourceId` and `contentType`.
 *
 *   npm run example -- compose
 */
import { Effect, Layer, Schema, Stream } from "effect"
import { composeWorkflow, Engine, Event, Step, Template, Trace } from "weftjs"
import { ContentPipeline, KnowledgeIngestion } from "../templates/index.js"

/** The glue: the most frequent keywords of the knowledge items become the brief's. */
const writeBrief = Step.make({
  name: "write_brief",
  requires: {
    source: KnowledgeIngestion.Source,
    knowledgeItems: Schema.Array(KnowledgeIngestion.KnowledgeItem)
  },
  provides: { brief: ContentPipeline.Brief },
  run: ({ knowledgeItems, source }) =>
    Effect.sync(() => {
      const counts = new Map<string, number>()
      for (const keyword of knowledgeItems.flatMap((item) => item.keywords)) {
        counts.set(keyword, (counts.get(keyword) ?? 0) + 1)
      }
      const keywords = Array.from(counts).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([keyword]) => keyword)
      return {
        brief: { topic: source.title, audience: "new operators", keywords, targetWords: 300, author: "the docs team" }
      }
    })
})

const briefFromKnowledge = Template.make({ name: "brief_from_knowledge", version: "1.0", steps: [writeBrief] })

/** The composite: its type requires `{ sourceId: string; contentType: string }`. */
export const ingestAndPublish = composeWorkflow(
  KnowledgeIngestion.template,
  briefFromKnowledge,
  ContentPipeline.template
)

const manual = `# Reactor R-100

The R-100 reactor heats batches of resin under pressure. Operators start each batch from the
control panel, after checking the pressure valves and the temperature sensors.

## Start-up

Check the pressure valves for leaks, then calibrate the temperature sensors against the reference
probe. Start the heating only when both checks pass.

## Shutdown

Lower the temperature setpoint first, then release the pressure through the valves. Record the
batch in the log before leaving the control panel.
`

/** Deterministic, in-memory services: no network anywhere. */
const services = Layer.mergeAll(
  KnowledgeIngestion.SourceFetcher.layerMemory({
    "doc-r100": { title: "Reactor R-100 operation", contentType: "text/markdown", content: manual }
  }),
  KnowledgeIngestion.KnowledgeStore.layerMemory(),
  ContentPipeline.LlmClient.layerMemory(),
  ContentPipeline.Publisher.layerMemory()
)

export const main = (_args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    console.log(`flow ${ingestAndPublish.name}`)
    console.log(`requires ${ingestAndPublish.requiredState.join(", ")}\n`)
    const engine = yield* Engine.Engine
    // subscribe before the runs start, so that no event is missed
    const events = yield* engine.subscribe
    yield* events.pipe(
      Stream.runForEach((event) => Effect.sync(() => console.log(Event.format(event)))),
      Effect.forkScoped
    )

    const result = yield* engine.run(ingestAndPublish, { sourceId: "doc-r100", contentType: "text/markdown" })

    yield* Effect.sleep("20 millis") // let the event printer catch up
    const { brief, draft, publication, storedItemIds } = result.state
    console.log(`\nstored ${storedItemIds.length} knowledge items; brief keywords: ${brief.keywords.join(", ")}`)
    console.log(`published "${draft.title}" (${draft.wordCount} words) at ${publication.url}\n`)
    console.log(draft.body.split("\n").slice(0, 5).join("\n") + "\n...\n")
    console.log(Trace.format(result.trace))
  }).pipe(Effect.scoped, Effect.provide(Layer.merge(Engine.layerMemory, services)))
