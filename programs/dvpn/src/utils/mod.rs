//! Helpers the processors share, one module per concern, re-exported here so
//! a processor imports `crate::utils::{..}` without knowing which file holds it.

pub mod checks;
pub mod hash;
pub mod lamports;
pub mod log;
pub mod math;
pub mod pda;
pub mod sysvars;
pub mod token;

pub use checks::*;
pub use hash::*;
pub use lamports::*;
pub use log::*;
pub use math::*;
pub use pda::*;
pub use sysvars::*;
pub use token::*;
