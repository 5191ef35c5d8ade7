//! Benchmarks of the symmetric building blocks (criterion).
fn main() {}
