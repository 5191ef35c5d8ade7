//! Benchmarks (criterion).
#![allow(missing_docs)]
fn main() {}
