//! The integrity family: each record and row is well formed and consistent with the data
//! model — manifests (`manifests`), exports (`exports`), status histories (`history`) and
//! the seed's cross-record rules (`seed`). Table-name spelling (`integrity.table.*`) is
//! checked with the inventories, in `coverage::tables`.

pub(super) mod exports;
pub(super) mod history;
pub(super) mod manifests;
pub(super) mod seed;
