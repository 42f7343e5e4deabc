// price-list-migration.ts: migrates dispatch_price_list into price_lists.
export default async function migrate() {}
