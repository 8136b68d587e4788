//! Program errors. Codes start at 6000 (Anchor convention) in the order of
//! `ERRORS` in scripts/gen-idl.mjs; idl/dvpn.json names them for clients.

use pinocchio::error::ProgramError;

/// Every way an instruction can be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum DvpnError {
    /// Unknown instruction or malformed instruction data.
    InvalidInstruction = 6000,
    /// Not enough accounts for this instruction.
    NotEnoughAccounts = 6001,
    /// A required signer did not sign.
    MissingSignature = 6002,
    /// An account that must be writable is read-only.
    AccountNotWritable = 6003,
    /// Account is not owned by the expected program.
    InvalidAccountOwner = 6004,
    /// Account data has the wrong type or size.
    InvalidAccountData = 6005,
    /// Account does not match its seeds or the accounts it belongs to.
    InvalidPda = 6006,
    /// Signer is not the authority for this account.
    Unauthorized = 6007,
    /// Account already exists.
    AlreadyInitialized = 6008,
    /// System or token program account is wrong.
    InvalidProgram = 6009,
    /// Token mint does not match the configured payment mint.
    InvalidMint = 6010,
    /// Token account has the wrong mint or owner.
    InvalidTokenAccount = 6011,
    /// Treasury account does not match the config.
    InvalidTreasury = 6012,
    /// Protocol fee is above the 10% cap.
    FeeTooHigh = 6013,
    /// Config durations must be positive.
    InvalidConfigValue = 6014,
    /// Amount arithmetic overflowed.
    ArithmeticOverflow = 6015,
    /// Amount must be greater than zero.
    ZeroAmount = 6016,
    /// Endpoint (64 bytes) or region (16 bytes) too long, or empty.
    StringTooLong = 6017,
    /// node_id must equal the provider node_count.
    InvalidNodeId = 6018,
    /// Provider stake is below the configured minimum.
    InsufficientStake = 6019,
    /// max_capacity must be greater than zero.
    InvalidCapacity = 6020,
    /// Node is not accepting sessions.
    NodeInactive = 6021,
    /// Node has no free capacity.
    NodeFull = 6022,
    /// Node does not accept token payments.
    TokenPaymentsDisabled = 6023,
    /// Session parameters do not match its payment mode.
    InvalidSessionParams = 6024,
    /// Session is not active.
    SessionNotActive = 6025,
    /// Claim goes beyond the elapsed session time.
    ClaimBeyondElapsed = 6026,
    /// Claim tick is not after the last claimed tick.
    StaleClaim = 6027,
    /// Preimage does not hash to the last proof.
    InvalidPreimage = 6028,
    /// Tick is beyond the committed hash chain.
    TickBeyondChain = 6029,
    /// Too many ticks verified in one claim.
    TooManyTicks = 6030,
    /// Reported bytes_used went down.
    BytesUsedDecreased = 6031,
    /// The settle window for claims has passed.
    ClaimWindowClosed = 6032,
    /// Payout must wait for the end of the settle window.
    SettleWindowOpen = 6033,
    /// Session escrow is frozen by a dispute.
    SessionDisputed = 6034,
    /// Session was already settled and closed.
    AlreadySettled = 6035,
    /// Only the session user or provider may do this.
    NotSessionParty = 6036,
    /// Session is not in dispute.
    NotDisputed = 6037,
    /// Resolution pays more than the remaining escrow.
    ResolutionExceedsEscrow = 6038,
    /// Slash is larger than the provider stake.
    SlashExceedsStake = 6039,
    /// Session has not ended yet.
    SessionNotEnded = 6040,
    /// Session was already rated.
    AlreadyRated = 6041,
    /// Rating must be between 1 and 5.
    InvalidRating = 6042,
    /// Amount is more than the active stake.
    InsufficientStakeBalance = 6043,
    /// Unbonding period has not elapsed.
    UnbondingNotElapsed = 6044,
    /// No unstaked lamports to withdraw.
    NothingToWithdraw = 6045,
}

/// Names in code order, logged as `Error: <Name>` when an instruction fails.
pub const ERROR_NAMES: [&str; 46] = [
    "InvalidInstruction",
    "NotEnoughAccounts",
    "MissingSignature",
    "AccountNotWritable",
    "InvalidAccountOwner",
    "InvalidAccountData",
    "InvalidPda",
    "Unauthorized",
    "AlreadyInitialized",
    "InvalidProgram",
    "InvalidMint",
    "InvalidTokenAccount",
    "InvalidTreasury",
    "FeeTooHigh",
    "InvalidConfigValue",
    "ArithmeticOverflow",
    "ZeroAmount",
    "StringTooLong",
    "InvalidNodeId",
    "InsufficientStake",
    "InvalidCapacity",
    "NodeInactive",
    "NodeFull",
    "TokenPaymentsDisabled",
    "InvalidSessionParams",
    "SessionNotActive",
    "ClaimBeyondElapsed",
    "StaleClaim",
    "InvalidPreimage",
    "TickBeyondChain",
    "TooManyTicks",
    "BytesUsedDecreased",
    "ClaimWindowClosed",
    "SettleWindowOpen",
    "SessionDisputed",
    "AlreadySettled",
    "NotSessionParty",
    "NotDisputed",
    "ResolutionExceedsEscrow",
    "SlashExceedsStake",
    "SessionNotEnded",
    "AlreadyRated",
    "InvalidRating",
    "InsufficientStakeBalance",
    "UnbondingNotElapsed",
    "NothingToWithdraw",
];

/// The names again as one string plus end offsets: a table of `&str` would
/// put pointers in read-only data, which the sbpf-linker chain leaves
/// unrelocated (reading one faults), while one string and plain integers work.
const NAME_BLOB: &str = "InvalidInstructionNotEnoughAccountsMissingSignatureAccountNotWritableInvalidAccountOwnerInvalidAccountDataInvalidPdaUnauthorizedAlreadyInitializedInvalidProgramInvalidMintInvalidTokenAccountInvalidTreasuryFeeTooHighInvalidConfigValueArithmeticOverflowZeroAmountStringTooLongInvalidNodeIdInsufficientStakeInvalidCapacityNodeInactiveNodeFullTokenPaymentsDisabledInvalidSessionParamsSessionNotActiveClaimBeyondElapsedStaleClaimInvalidPreimageTickBeyondChainTooManyTicksBytesUsedDecreasedClaimWindowClosedSettleWindowOpenSessionDisputedAlreadySettledNotSessionPartyNotDisputedResolutionExceedsEscrowSlashExceedsStakeSessionNotEndedAlreadyRatedInvalidRatingInsufficientStakeBalanceUnbondingNotElapsedNothingToWithdraw";
const NAME_ENDS: [u16; 46] = [
    18, 35, 51, 69, 88, 106, 116, 128, 146, 160, 171, 190, 205, 215, 233, 251, 261, 274, 287, 304, 319, 331, 339, 360,
    380, 396, 414, 424, 439, 454, 466, 484, 501, 517, 532, 546, 561, 572, 595, 612, 627, 639, 652, 676, 695, 712,
];

impl DvpnError {
    /// The name the IDL gives this error.
    #[inline(always)]
    pub fn name(self) -> &'static str {
        Self::name_of(self as u32).unwrap_or("")
    }

    /// The name of a custom code, if it is one of ours.
    #[inline(always)]
    pub fn name_of(code: u32) -> Option<&'static str> {
        let i = code.checked_sub(6000)? as usize;
        let end = *NAME_ENDS.get(i)? as usize;
        let start = if i == 0 { 0 } else { NAME_ENDS[i - 1] as usize };
        NAME_BLOB.get(start..end)
    }
}

impl From<DvpnError> for ProgramError {
    #[inline(always)]
    fn from(e: DvpnError) -> Self {
        ProgramError::Custom(e as u32)
    }
}
