//! `resolve_dispute`: Admin only.
//! Accounts, arguments and the full rule: scripts/gen-idl.mjs (idl/dvpn.json), docs/PROGRAM.md.

use crate::{
    args::Args,
    error::DvpnError,
    events::{discriminator as ev, Event},
    processor::shared::escrow::{
        end_dispute, load_settlement, pay_provider, refund_rest, release_slot, settle_token_accounts, Settlement,
        Undeliverable,
    },
    state::{load, session_state, StakeVault},
    take_accounts,
    utils::{move_lamports, now, require, require_signer, require_writable},
};
use pinocchio::{AccountView, Address, ProgramResult};

#[inline(always)]
pub fn process_resolve_dispute(program_id: &Address, accounts: &[AccountView], data: &[u8]) -> ProgramResult {
    take_accounts!(
        accounts,
        [
            admin,
            config_view,
            provider_view,
            node_view,
            session_view,
            stake_vault_view,
            user,
            provider_authority,
            treasury,
            vault,
            user_token,
            provider_token,
            treasury_token,
            token_program
        ]
    );
    let mut args = Args::new(data);
    let provider_share = args.u64()?;
    let slash = args.u64()?;
    args.finish()?;

    require_signer(admin)?;
    for a in [provider_view, node_view, session_view, stake_vault_view, user, provider_authority, treasury] {
        require_writable(a)?;
    }
    let Settlement { config, provider, node, session } =
        load_settlement(program_id, config_view, provider_view, node_view, session_view, provider_authority, treasury)?;
    require(admin.address() == &config.admin, DvpnError::Unauthorized)?;
    let stake_vault = load::<StakeVault>(stake_vault_view, program_id)?;
    require(&stake_vault.provider == provider_view.address(), DvpnError::InvalidPda)?;
    require(user.address() == &session.user, DvpnError::InvalidPda)?;
    require(session.state == session_state::DISPUTED, DvpnError::NotDisputed)?;
    require(provider_share <= session.remaining_balance, DvpnError::ResolutionExceedsEscrow)?;
    let stake_total =
        provider.stake_lamports.checked_add(provider.unstaking_lamports).ok_or(DvpnError::ArithmeticOverflow)?;
    require(slash <= stake_total, DvpnError::SlashExceedsStake)?;
    // A bounded admin: one dispute takes at most what it locked when raised.
    require(slash <= session.dispute_lock, DvpnError::SlashExceedsCap)?;

    let tokens = settle_token_accounts(
        program_id,
        session,
        provider,
        config,
        [vault, user_token, provider_token, treasury_token, token_program],
    )?;
    let ts = now()?;
    let (provider_amount, fee) = pay_provider(
        session_view,
        session,
        provider,
        provider_authority,
        treasury,
        &tokens,
        provider_share,
        Undeliverable::Forfeit,
    )?;
    let refund = refund_rest(session_view, session, user, &tokens, true)?;
    end_dispute(session, provider);
    release_slot(session, node, provider, ts)?;

    if slash > 0 {
        // Active stake first, then what is unbonding: a provider cannot dodge a
        // slash by requesting an unstake.
        let from_active = if slash < provider.stake_lamports { slash } else { provider.stake_lamports };
        #[allow(
            clippy::arithmetic_side_effects,
            reason = "from_active = min(slash, stake); slash <= stake + unstaking (SlashExceedsStake)"
        )]
        {
            provider.stake_lamports -= from_active;
            provider.unstaking_lamports -= slash - from_active;
        }
        provider.slashed_lamports =
            provider.slashed_lamports.checked_add(slash).ok_or(DvpnError::ArithmeticOverflow)?;
        move_lamports(stake_vault_view, treasury, slash)?;
    }

    Event::new(ev::DISPUTE_RESOLVED)
        .key(session_view.address())
        .key(&session.node)
        .key(provider_view.address())
        .key(&session.payment_mint)
        .key(admin.address())
        .u64(provider_amount)
        .u64(fee)
        .u64(refund)
        .u64(slash)
        .i64(ts)
        .u32(node.active_sessions)
        .emit();
    if slash > 0 {
        Event::new(ev::SLASHED)
            .key(provider_view.address())
            .key(session_view.address())
            .u64(slash)
            .u64(provider.stake_lamports)
            .u64(provider.unstaking_lamports)
            .i64(ts)
            .emit();
    }
    Ok(())
}
