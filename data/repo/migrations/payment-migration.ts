// payment-migration.ts: migrates dispatch_payment into payments.
export default async function migrate() {}
