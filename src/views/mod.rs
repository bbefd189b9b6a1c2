//! Views: pure functions of the [`Inventory`](crate::inventory::Inventory). They read
//! nothing and change nothing.

pub mod audit;
pub mod check;
pub mod deps;
pub mod gc;
pub mod kpi;
pub mod lint;
pub mod list;
pub mod lock_need;
pub mod near;
pub mod next_id;
pub mod precedence;
pub mod ready;
pub mod reconcile;
pub mod show;
pub mod standing;
pub mod status;
pub mod wo_index;
