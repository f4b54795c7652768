//! The `feature-table` validator (placeholder until the CLI lands).
fn main() {}
