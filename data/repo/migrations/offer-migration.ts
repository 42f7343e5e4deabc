// offer-migration.ts: migrates dispatch_offer into offers.
export default async function migrate() {}
