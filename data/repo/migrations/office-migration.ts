// office-migration.ts: migrates dispatch_office into offices.
export default async function migrate() {}
