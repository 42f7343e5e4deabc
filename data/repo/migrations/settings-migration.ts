// settings-migration.ts: migrates dispatch_setting into settings.
export default async function migrate() {}
