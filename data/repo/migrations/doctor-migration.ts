// doctor-migration.ts: migrates dispatch_doctor into doctors.
export default async function migrate() {}
