// user-migration.ts: migrates auth_user into users.
export default async function migrate() {}
