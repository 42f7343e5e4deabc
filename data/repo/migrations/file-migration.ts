// file-migration.ts: migrates dispatch_file into files.
export default async function migrate() {}
