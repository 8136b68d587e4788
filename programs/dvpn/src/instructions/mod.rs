//! One module per instruction family; `shared` holds the escrow moves that
//! claims, closes, payouts and dispute resolutions have in common.

pub mod claim_chunk;
pub mod config;
pub mod dispute;
pub mod node;
pub mod open_session;
pub mod provider;
pub mod reputation;
pub mod settle;
pub mod shared;
