// lab-result-migration.ts: migrates dispatch_lab_result into lab_results.
export default async function migrate() {}
