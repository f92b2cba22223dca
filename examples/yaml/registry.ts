/**
 * What the YAML twins in this folder may `use:`: the steps of the
 * order-processing and data-quality templates, under their step names.
 * A project registers its steps the same way in `weft.config.ts`
 * (`steps: { ... }`).
 */
import type { Yaml } from "weftjs/yaml"
import { DataQuality, OrderProcessing } from "../../templates/index.js"

export const registry: Yaml.Registry = {
  steps: {
    check_order: OrderProcessing.checkOrder,
    charge_card: OrderProcessing.chargeCard,
    record_decision: OrderProcessing.recordDecision,
    auto_approve: OrderProcessing.autoApprove,
    ship_order: OrderProcessing.shipOrder,
    refund_payment: OrderProcessing.refundPayment,
    send_confirmation: OrderProcessing.sendConfirmation,
    send_cancellation: OrderProcessing.sendCancellation,
    load_dataset: DataQuality.loadDataset,
    profile: DataQuality.profile,
    find_anomalies: DataQuality.findAnomalies,
    fix_anomalies: DataQuality.fixAnomalies,
    save_dataset: DataQuality.saveDataset,
    quarantine_dataset: DataQuality.quarantineDataset,
    check: DataQuality.check
  }
}

/** The folder of the YAML files. */
export const folder = new URL(".", import.meta.url).pathname
