//! Privacy budgets: exact ε, the budget concentration strategies of
//! Chiaroscuro §5.1, and a sequential-composition accountant.

pub mod accountant;
pub mod epsilon;
pub mod strategy;

pub use accountant::{Accountant, Charge};
pub use epsilon::Epsilon;
pub use strategy::BudgetStrategy;
