//! Arrived intact, from files: the fixture `tests/fixtures/content` injects one defect of
//! each kind its README lists and works out every count by hand.

mod common;

use common::{base_with, fixtures, run};

#[test]
fn each_injected_defect_is_found_in_its_column() {
    let data = base_with(Some(&fixtures().join("content/data")));
    let (_, measures, findings) = run(data.path());
    let table = &measures.content[0];
    assert_eq!(
        (
            table.compared,
            table.intact,
            table.differs,
            table.target_missing
        ),
        (10, 4, 6, 0)
    );
    let differing: Vec<(&str, u64)> = table
        .columns
        .iter()
        .map(|c| (c.target.as_str(), c.differing))
        .collect();
    assert_eq!(
        differing,
        [
            ("budget", 1),
            ("city", 1),
            ("first_name", 1),
            ("last_name", 1),
            ("name", 1),
            ("opened_at", 1),
            ("phone", 1),
        ]
    );
    let mismatches: Vec<_> = findings
        .iter()
        .filter(|f| f.rule == "reconcile.content.value_mismatch")
        .collect();
    assert_eq!(mismatches.len(), 7);
    assert_eq!(mismatches.iter().map(|f| f.count).sum::<u64>(), 7);
    // Each finding's sample names the office and both values as the files hold them.
    let city = mismatches
        .iter()
        .find(|f| f.message.contains("`city`"))
        .unwrap();
    let fields: Vec<(&str, &str)> = city.samples[0]
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("legacy key", "5"),
            ("target key", "7a0c8f3e-2b4d-4e6f-8a1b-000000000005"),
            ("legacy city", "\"Zürich\""),
            ("target city", "\"ZÃ¼rich\""),
        ]
    );
}
