// contract-migration.ts: migrates dispatch_contract into contracts.
export default async function migrate() {}
