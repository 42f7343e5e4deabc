// task-migration.ts: migrates dispatch_task into tasks.
export default async function migrate() {}
