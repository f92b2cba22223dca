/**
 * Human approval, built from a durable wait: a template that asks for an
 * approval, suspends until someone sends the `approval` signal (or two days
 * pass, which counts as a rejection), then acts on the decision.
 *
 *   const handle = yield* engine.start(expenseApproval, { amount: 120, requester: "ann" })
 *   // ... later, from any process sharing the store:
 *   yield* engine.signal(handle.runId, "approval", { approved: true, by: "bob" })
 */
import { Effect, Schema } from "effect"
import { Durable, Step, Template } from "weftjs"

export const Decision = Schema.Struct({
  approved: Schema.Boolean,
  by: Schema.String,
  comment: Schema.optional(Schema.String)
})

export const requestApproval = Step.make({
  name: "request_approval",
  requires: { amount: Schema.Number, requester: Schema.String },
  provides: { approvalRequest: Schema.String },
  run: ({ amount, requester }) => Effect.succeed({ approvalRequest: `${requester} asks to spend ${amount}` })
})

export const awaitApproval = Durable.waitForSignal("approval", Decision, {
  timeout: "2 days",
  default: { approved: false, by: "(nobody: timed out)" }
})

export const settle = Step.make({
  name: "settle",
  requires: { amount: Schema.Number, approval: Decision },
  provides: { outcome: Schema.Literal("paid", "rejected"), decidedBy: Schema.String },
  run: ({ approval }) =>
    Effect.succeed({ outcome: approval.approved ? "paid" as const : "rejected" as const, decidedBy: approval.by })
})

export const expenseApproval = Template.make({
  name: "expense_approval",
  version: "1",
  steps: [requestApproval, awaitApproval, settle]
})
