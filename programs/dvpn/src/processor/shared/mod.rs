//! What several processors use: the escrow moves of every settlement
//! (`escrow`), the Config values and bounds (`config`), opening a session
//! (`open_session`) and the provider's stake (`stake`).

pub mod config;
pub mod escrow;
pub mod open_session;
pub mod stake;
