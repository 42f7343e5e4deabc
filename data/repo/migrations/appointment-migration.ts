// appointment-migration.ts: migrates dispatch_appointment into appointments.
export default async function migrate() {}
