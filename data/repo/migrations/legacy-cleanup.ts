// A one-off clean-up nobody wrote a manifest for.
export default async function migrate() {}
