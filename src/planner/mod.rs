//! Capacity planning on top of the simulator: parameter sweeps (`sweep`) and
//! the fewest agents per interval that meet service targets (`staff`).
//! Library code only; the CLI prints.

pub mod erlang;
pub mod staff;
pub mod sweep;
pub mod sweep_merge;
pub mod vary;
