// product-migration.ts: migrates dispatch_product into products.
export default async function migrate() {}
