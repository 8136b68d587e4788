//! Host unit tests of the pure parts: discriminators against sha256 and the
//! IDL, Borsh argument reading, fee and pro-rata arithmetic, reputation.
//! Behaviour on chain is tested against the built .so in tests/program.

use sha2::{Digest, Sha256};
use std::{format, vec};

use crate::{
    args::Args,
    error::{DvpnError, ERROR_NAMES},
    events::discriminator as ev,
    ix_discriminator as ix,
    processor::update_reputation::{rating_weight, reputation_score},
    state::discriminator as acc,
    utils::{mul_checked, protocol_fee, rent_minimum_from, sha256_n, time_earned},
};

const IDL: &str = include_str!("../../../idl/dvpn.json");

fn disc(prefix: &str, name: &str) -> [u8; 8] {
    let h = Sha256::digest(format!("{prefix}:{name}").as_bytes());
    h[..8].try_into().unwrap()
}

#[test]
fn instruction_discriminators_are_anchor_sighashes() {
    let cases = [
        (ix::INITIALIZE_CONFIG, "initialize_config"),
        (ix::UPDATE_CONFIG, "update_config"),
        (ix::ACCEPT_ADMIN, "accept_admin"),
        (ix::REGISTER_PROVIDER, "register_provider"),
        (ix::REGISTER_NODE, "register_node"),
        (ix::UPDATE_NODE, "update_node"),
        (ix::OPEN_SESSION, "open_session"),
        (ix::OPEN_SESSION_SPL, "open_session_spl"),
        (ix::CLAIM_CHUNK, "claim_chunk"),
        (ix::CLOSE_SESSION, "close_session"),
        (ix::CLAIM_PAYOUT, "claim_payout"),
        (ix::RAISE_DISPUTE, "raise_dispute"),
        (ix::RESOLVE_DISPUTE, "resolve_dispute"),
        (ix::UPDATE_REPUTATION, "update_reputation"),
        (ix::STAKE_PROVIDER, "stake_provider"),
        (ix::REQUEST_UNSTAKE, "request_unstake"),
        (ix::WITHDRAW_STAKE, "withdraw_stake"),
    ];
    for (d, name) in cases {
        assert_eq!(d, disc("global", name), "{name}");
        assert!(IDL.contains(&format!("\"name\": \"{name}\"")), "{name} missing from the IDL");
    }
    let count = IDL.matches("\"discriminator\"").count();
    assert_eq!(count, cases.len() + 6 + 13, "IDL has instructions/accounts/events the program does not know");
}

#[test]
fn account_and_event_discriminators_are_anchor_hashes() {
    for (d, name) in [
        (acc::CONFIG, "Config"),
        (acc::PROVIDER, "Provider"),
        (acc::NODE, "Node"),
        (acc::SESSION, "Session"),
        (acc::STAKE_VAULT, "StakeVault"),
        (acc::USER_STATE, "UserState"),
    ] {
        assert_eq!(d, disc("account", name), "{name}");
    }
    for (d, name) in [
        (ev::CONFIG_UPDATED, "ConfigUpdated"),
        (ev::PROVIDER_REGISTERED, "ProviderRegistered"),
        (ev::NODE_REGISTERED, "NodeRegistered"),
        (ev::NODE_UPDATED, "NodeUpdated"),
        (ev::SESSION_OPENED, "SessionOpened"),
        (ev::CHUNK_CLAIMED, "ChunkClaimed"),
        (ev::SESSION_CLOSED, "SessionClosed"),
        (ev::PAYOUT_CLAIMED, "PayoutClaimed"),
        (ev::DISPUTE_RAISED, "DisputeRaised"),
        (ev::DISPUTE_RESOLVED, "DisputeResolved"),
        (ev::REPUTATION_UPDATED, "ReputationUpdated"),
        (ev::STAKE_CHANGED, "StakeChanged"),
        (ev::SLASHED, "Slashed"),
    ] {
        assert_eq!(d, disc("event", name), "{name}");
    }
}

#[test]
fn error_codes_match_the_idl() {
    for (i, name) in ERROR_NAMES.iter().enumerate() {
        let entry = format!("\"code\": {},\n      \"name\": \"{}\"", 6000 + i, name);
        assert!(IDL.contains(&entry), "IDL lacks {entry}");
    }
    assert_eq!(IDL.matches("\"code\": 6").count(), ERROR_NAMES.len());
    assert_eq!(DvpnError::NodeFull.name(), "NodeFull");
    assert_eq!(DvpnError::name_of(6000), Some("InvalidInstruction"));
    assert_eq!(DvpnError::name_of(5999), None);
}

#[test]
fn args_reader_is_borsh_and_strict() {
    let mut data = vec![];
    data.extend_from_slice(&7u64.to_le_bytes());
    data.extend_from_slice(&3u32.to_le_bytes());
    data.extend_from_slice(b"abc");
    data.extend_from_slice(&[1, 42, 0, 0, 0]); // Some(42u32)
    data.push(0); // None
    let mut a = Args::new(&data);
    assert_eq!(a.u64().unwrap(), 7);
    assert_eq!(a.string().unwrap(), b"abc");
    assert_eq!(a.option(|a| a.u32()).unwrap(), Some(42));
    assert_eq!(a.option(|a| a.u64()).unwrap(), None);
    a.finish().unwrap();

    let mut short = Args::new(&data[..5]);
    assert!(short.u64().is_err());
    let mut trailing = Args::new(&data);
    trailing.u64().unwrap();
    assert!(trailing.finish().is_err());
    let bad_tag = [2u8, 0, 0, 0, 0];
    assert!(Args::new(&bad_tag).option(|a| a.u32()).is_err());
    let bad_utf8 = [2u8, 0, 0, 0, 0xff, 0xfe];
    assert!(Args::new(&bad_utf8).string().is_err());
}

#[test]
fn fee_and_pro_rata_never_create_units() {
    assert_eq!(protocol_fee(10_000, 250), 250);
    assert_eq!(protocol_fee(399, 250), 9); // 9.975 floored
    assert_eq!(protocol_fee(u64::MAX, 1_000), (u64::MAX as u128 * 1_000 / 10_000) as u64);
    // A 3-minute session of 1_000 per minute: earned is monotone, floored, exact at the end.
    let (escrow, duration) = (3_000u64, 180u64);
    assert_eq!(time_earned(escrow, duration, 0), Some(0));
    assert_eq!(time_earned(escrow, duration, 1), Some(16));
    assert_eq!(time_earned(escrow, duration, 90), Some(1_500));
    assert_eq!(time_earned(escrow, duration, 180), Some(3_000));
    assert_eq!(time_earned(escrow, duration, 999), Some(3_000));
    let mut last = 0;
    for t in 0..=duration {
        let e = time_earned(escrow, duration, t).unwrap();
        assert!(e >= last && e <= escrow);
        last = e;
    }
    assert_eq!(time_earned(u64::MAX, 60, 30), Some(u64::MAX / 2));
}

#[test]
fn reputation_scales_one_to_five_stars_to_0_2000() {
    assert_eq!(reputation_score(0, 0), 1_000);
    assert_eq!(reputation_score(5, 1), 2_000);
    assert_eq!(reputation_score(1, 1), 0);
    assert_eq!(reputation_score(3, 1), 1_000);
    assert_eq!(reputation_score(4 + 5, 2), 1_750);
    // Weighted: one 5-star session paying 3 minimums and one 1-star paying 1.
    assert_eq!(reputation_score(5 * 3 + 1, 3 + 1), 1_500);
}

#[test]
fn rating_weight_counts_minimum_payments_capped() {
    assert_eq!(rating_weight(0, 1_000), 0);
    assert_eq!(rating_weight(999, 1_000), 0);
    assert_eq!(rating_weight(1_000, 1_000), 1);
    assert_eq!(rating_weight(5_500, 1_000), 5);
    assert_eq!(rating_weight(u64::MAX, 1_000), 100);
    // A zero minimum still needs a payment of at least one unit.
    assert_eq!(rating_weight(0, 0), 0);
    assert_eq!(rating_weight(7, 0), 7);
}

#[test]
fn rent_matches_the_legacy_formula() {
    // 3480 lamports per byte-year, threshold 2.0: the cluster default.
    assert_eq!(rent_minimum_from(3_480, 2.0f64.to_bits(), 0).unwrap(), 890_880);
    assert_eq!(rent_minimum_from(3_480, 2.0f64.to_bits(), 165).unwrap(), 2_039_280);
    assert!(rent_minimum_from(u64::MAX, 2.0f64.to_bits(), 10).is_err());
}

#[test]
fn hash_chain_walks_back_to_the_root() {
    let seed = [7u8; 32];
    let root = sha256_n(&seed, 10);
    let w3 = sha256_n(&seed, 7); // w_3 = H^(10-3)(seed)
    assert_eq!(sha256_n(&w3, 3), root);
    assert_ne!(sha256_n(&w3, 2), root);
}

#[test]
fn u64_arithmetic_matches_u128_reference() {
    // The program avoids 128-bit math (unsupported by upstream BPF); compare
    // its split formulas with the exact u128 results over a spread of values.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..20_000u64 {
        let payment = if i % 3 == 0 { next() } else { next() % 1_000_000_000 };
        let bps = (next() % 1_001) as u16;
        assert_eq!(protocol_fee(payment, bps) as u128, payment as u128 * bps as u128 / 10_000);
        let duration = 60 * (1 + next() % (366 * 24 * 60));
        let escrow = if i % 2 == 0 { next() } else { next() % 1_000_000_000_000 };
        let t = next() % (duration + 1);
        assert_eq!(time_earned(escrow, duration, t).unwrap() as u128, escrow as u128 * t as u128 / duration as u128);
        let (a, b) = (next() >> (next() % 64), next() >> (next() % 64));
        assert_eq!(mul_checked(a, b), a.checked_mul(b));
    }
}

#[test]
fn error_name_blob_matches_the_name_list() {
    for (i, name) in ERROR_NAMES.iter().enumerate() {
        assert_eq!(DvpnError::name_of(6000 + i as u32), Some(*name));
    }
    assert_eq!(DvpnError::name_of(6000 + ERROR_NAMES.len() as u32), None);
}
