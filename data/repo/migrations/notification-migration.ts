// notification-migration.ts: migrates dispatch_notification into notifications.
export default async function migrate() {}
