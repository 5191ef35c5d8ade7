//! Generation speed (criterion).
#![allow(missing_docs)]
fn main() {}
