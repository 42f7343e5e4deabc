// profile-migration.ts: migrates dispatch_profile into profiles.
export default async function migrate() {}
