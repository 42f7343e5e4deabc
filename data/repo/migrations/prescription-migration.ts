// prescription-migration.ts: migrates dispatch_prescription into prescriptions.
export default async function migrate() {}
