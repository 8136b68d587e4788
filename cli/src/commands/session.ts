import { Command, Option } from 'commander';
import type { PublicKey, TransactionInstruction } from '@solana/web3.js';
import {
  SessionMode,
  SessionState,
  disputeDeadline,
  fetchProvider,
  ix,
  settleDeadline,
  ratingWeight,
  timeEarned,
  verifyTick,
  type SessionAccount,
} from '@dvpn/sdk';
import { isTokenSession, listSessions, loadSession, resolveNode, resolveProvider, splSettle } from '../accounts.js';
import type { Context, TxResult } from '../context.js';
import { CliError } from '../errors.js';
import {
  formatSol,
  formatTable,
  formatUnits,
  hex,
  isoTime,
  parseHex32,
  parseInteger,
  parsePubkey,
  parseSol,
  parseUnits,
  type Row,
} from '../format.js';
import { checkDuration, openSessionOnNode } from '../open-session.js';
import { withContext } from '../run.js';
import { chainFromState, readSessionState, removeSessionState, sessionStatePath } from '../state.js';

const modeName = (m: number) => SessionMode[m] ?? String(m);
const stateName = (s: number) => SessionState[s] ?? String(s);

interface Money {
  symbol: string;
  decimals: number;
  format(v: bigint): string;
  parse(text: string, what: string): bigint;
}

const SOL_MONEY: Money = {
  symbol: 'SOL',
  decimals: 9,
  format: formatSol,
  parse: (t, w) => parseSol(t, w),
};

async function tokenMoney(ctx: Context, mint: PublicKey): Promise<Money> {
  const decimals = await ctx.mintDecimals(mint);
  let symbol = 'tokens';
  try {
    if ((await ctx.config()).tokenMint.equals(mint)) symbol = 'USDC';
  } catch {
    /* no config: generic name */
  }
  return {
    symbol,
    decimals,
    format: (v) => `${formatUnits(v, decimals)} ${symbol}`,
    parse: (t, w) => parseUnits(t, decimals, w),
  };
}

const moneyOf = (ctx: Context, s: SessionAccount) => (isTokenSession(s) ? tokenMoney(ctx, s.paymentMint) : Promise.resolve(SOL_MONEY));

function sessionJson(address: PublicKey, s: SessionAccount, extra: Record<string, unknown> = {}) {
  return {
    address,
    ...s,
    mode: modeName(s.mode),
    state: stateName(s.state),
    paymentMint: isTokenSession(s) ? s.paymentMint : null,
    ...extra,
  };
}

/** The accounts every settlement instruction of a session needs. */
async function settlement(ctx: Context, address: PublicKey, s: SessionAccount) {
  const config = await ctx.config();
  const provider = await fetchProvider(ctx.connection, s.provider);
  if (!provider) throw new CliError(`provider ${s.provider.toBase58()} of the session not found`);
  const base = {
    provider: s.provider,
    node: s.node,
    session: address,
    providerAuthority: provider.authority,
    treasury: config.treasury,
  };
  if (!isTokenSession(s)) return { base, spl: undefined, prepare: [] as TransactionInstruction[], config, provider };
  const { accounts, prepare } = splSettle(ctx, address, s, provider.authority, config.treasury);
  return { base, spl: accounts, prepare, config, provider };
}

function eventData<T>(res: TxResult, name: string): T | undefined {
  return res.events.find((e) => e.name === name)?.data as T | undefined;
}

interface OpenOpts {
  node: string;
  sol?: boolean;
  usdc?: boolean;
  minutes?: string;
  usage?: boolean;
  ticks?: string;
  tickAmount?: string;
}

export function sessionCommand(): Command {
  const cmd = new Command('session').description('VPN sessions: open and pay, inspect, settle, dispute, rate')
    .addHelpText('after', '\nExamples:\n  $ dvpn session open --node <NODE> --sol --minutes 30\n  $ dvpn session show <SESSION>\n  $ dvpn session close <SESSION> && dvpn session payout <SESSION>\n  $ dvpn session claim <SESSION>        # provider: claim what was earned so far');

  cmd
    .command('open')
    .description('Open a session on a node, escrowing the payment (SOL or USDC)')
    .requiredOption('--node <NODE>', 'Node address (see: dvpn node list --available)')
    .addOption(new Option('--sol', 'pay in SOL').conflicts('usdc'))
    .addOption(new Option('--usdc', 'pay in the Config token (USDC)').conflicts('sol'))
    .option('--minutes <N>', 'time session: minutes bought; usage session: maximum duration')
    .option('--usage', "usage session paid per tick through a hash chain at the node's price per tick (needs --ticks)")
    .option('--ticks <N>', 'usage: number of ticks escrowed (hash chain length)')
    .option('--tick-amount <AMOUNT>', "usage: the price per tick you expect, in SOL or USDC; refused unless it is the node's (default: the node's price)")
    .addHelpText(
      'after',
      `
Time sessions pay price-per-minute x minutes into escrow (at most 366 days);
the provider earns it pro rata and closing early refunds the rest. Usage
sessions escrow ticks x the node's price per tick (at most 30 days); the
hash-chain secret is stored in
$DVPN_HOME/sessions/<session>.json (default ~/.config/dvpn/sessions, mode 0600)
and each tick is paid by revealing the next preimage (dvpn session tick).

Examples:
  $ dvpn session open --node 5Fh3...Xk --sol --minutes 30
  $ dvpn session open --node 5Fh3...Xk --usdc --minutes 60 --json
  $ dvpn session open --node 5Fh3...Xk --sol --usage --ticks 1000 --minutes 120
  $ dvpn session open --node 5Fh3...Xk --sol --usage --ticks 1000 --tick-amount 0.00001 --minutes 120   # refused if the price changed

The session id is your wallet's next session id (UserState.next_session_id;
the program requires it, so a session address never repeats); when another
open takes it first, the CLI reads it again and retries once.`,
    )
    .action(
      withContext(async (ctx, o: OpenOpts) => {
        if (!o.sol && !o.usdc) throw new CliError('choose how to pay: --sol or --usdc');
        if (!o.minutes) throw new CliError(o.usage ? '--minutes is required (the maximum duration of the usage session)' : '--minutes is required');
        const durationMinutes = Number(parseInteger(o.minutes, '--minutes', 1n, 0xffff_ffffn));
        if (!o.usage && (o.ticks || o.tickAmount)) throw new CliError('--ticks and --tick-amount need --usage');
        if (o.usage && !o.ticks) throw new CliError('--usage needs --ticks N');
        checkDuration(durationMinutes, !!o.usage);

        const { address: node, account: found } = await resolveNode(ctx, o.node);
        const user = ctx.signer.publicKey;
        const config = o.usdc ? await ctx.config() : undefined;
        const money = config ? await tokenMoney(ctx, config.tokenMint) : SOL_MONEY;
        let wantUsage: { maxTicks: bigint; tickAmount?: bigint } | undefined;
        if (o.usage) {
          const maxTicks = parseInteger(o.ticks!, '--ticks', 1n, BigInt(Number.MAX_SAFE_INTEGER));
          const tickAmount = o.tickAmount !== undefined ? money.parse(o.tickAmount, '--tick-amount') : undefined;
          wantUsage = { maxTicks, tickAmount };
        }
        const { plan, res, nodeAcc, usage } = await openSessionOnNode(
          ctx,
          { node, durationMinutes, config, decimals: money.decimals, usage: wantUsage },
          found,
        );
        const { session, sessionId, statePath } = plan;
        const ev = eventData<{ escrowAmount: bigint; startTs: bigint; endTs: bigint; nodeActiveSessions: number }>(res, 'SessionOpened');
        ctx.printRows(
          {
            signature: res.signature,
            session,
            sessionId,
            node,
            provider: nodeAcc.provider,
            user,
            mode: usage ? 'Usage' : 'Time',
            currency: money.symbol,
            tickAmount: usage?.tickAmount ?? null,
            escrowAmount: ev?.escrowAmount,
            startTs: ev?.startTs,
            endTs: ev?.endTs,
            stateFile: statePath ?? null,
            events: res.events,
          },
          `Session ${session.toBase58()} opened`,
          [
            ['mode', usage ? `usage (${usage.maxTicks} ticks x ${money.format(usage.tickAmount)})` : `time (${durationMinutes} min)`],
            ['node', `${node.toBase58()} (${nodeAcc.endpoint}, ${nodeAcc.region})`],
            ['session id', sessionId],
            ['escrow', ev ? money.format(ev.escrowAmount) : undefined],
            ['starts', ev ? isoTime(ev.startTs) : undefined],
            ['ends', ev ? isoTime(ev.endTs) : undefined],
            ['secret stored in', statePath],
            ['signature', res.signature],
          ],
        );
      }),
    );

  cmd
    .command('show')
    .argument('<SESSION>', 'Session address')
    .description('Show a session: payment, progress, state, settle deadline')
    .addHelpText('after', '\nExamples:\n  $ dvpn session show 9qW2...Lm\n  $ dvpn session show 9qW2...Lm --json | jq .remainingBalance')
    .action(
      withContext(async (ctx, arg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const now = await ctx.clockNow();
        const deadline = settleDeadline(s);
        const disputeEnd = s.state === SessionState.Disputed ? disputeDeadline(s) : undefined;
        const duration = s.endTs - s.startTs;
        const elapsed = now - s.startTs < 0n ? 0n : now - s.startTs > duration ? duration : now - s.startTs;
        const earnedNow = s.mode === SessionMode.Time ? timeEarned(s.escrowAmount, duration, elapsed) : undefined;
        const local = readSessionState(address.toBase58());
        const rows: Row[] = [
          ['state', stateName(s.state)],
          ['mode', modeName(s.mode)],
          ['user', s.user],
          ['node', s.node],
          ['provider', s.provider],
          ['session id', s.sessionId],
          ['escrow', money.format(s.escrowAmount)],
          ['claimed', `${money.format(s.claimedAmount)} (fee ${money.format(s.feeAmount)})`],
          ['refunded', money.format(s.refundedAmount)],
          ['remaining', money.format(s.remainingBalance)],
          ['started', isoTime(s.startTs)],
          ['ends', `${isoTime(s.endTs)}${now >= s.endTs ? ' (ended)' : ` (in ${s.endTs - now} s)`}`],
          ['closed at', s.closedAt > 0n ? isoTime(s.closedAt) : undefined],
          ['settle deadline', `${isoTime(deadline)} (settle window ${s.settleWindowSeconds} s)`],
          ['terms', `fee ${s.protocolFeeBps} bps, dispute window ${s.disputeWindowSeconds} s${s.mode === SessionMode.Usage ? `, idle timeout ${s.idleTimeoutSeconds} s` : ''}`],
          ['dispute deadline', disputeEnd !== undefined ? `${isoTime(disputeEnd)} (then anyone may settle it by the default rule: dvpn session payout)` : undefined],
          [s.mode === SessionMode.Time ? 'claimed through' : 'ticks claimed', s.mode === SessionMode.Time ? `${s.lastTick} s` : `${s.lastTick} / ${s.maxTicks}`],
          ['tick amount', s.mode === SessionMode.Usage ? money.format(s.tickAmount) : undefined],
          ['earned so far', earnedNow !== undefined ? money.format(earnedNow) : undefined],
          ['bytes used', s.bytesUsed],
          ['disputed by', s.state === SessionState.Disputed || s.state === SessionState.Resolved ? s.disputedBy : undefined],
          ['dispute reason', s.state === SessionState.Disputed || s.state === SessionState.Resolved ? s.disputeReason : undefined],
          ['dispute lock', s.state === SessionState.Disputed ? `${formatSol(s.disputeLock)} of the provider stake (the most the admin may slash)` : undefined],
          ['rated', s.rated],
          ['local secret', local ? sessionStatePath(address.toBase58()) : undefined],
        ];
        ctx.printRows(
          sessionJson(address, s, {
            currency: money.symbol,
            now,
            settleDeadline: deadline,
            disputeDeadline: disputeEnd ?? null,
            earnedNow: earnedNow ?? null,
            stateFile: local ? sessionStatePath(address.toBase58()) : null,
          }),
          `Session ${address.toBase58()}`,
          rows,
        );
      }),
    );

  cmd
    .command('list')
    .description('List sessions, filtered by user, node or provider')
    .option('--user <PUBKEY>', 'sessions of this user wallet')
    .option('--mine', 'sessions of your keypair (same as --user <you>)')
    .option('--node <NODE>', 'sessions on this Node address')
    .option('--provider <PUBKEY>', 'sessions of this provider (authority wallet or Provider account)')
    .addOption(new Option('--state <STATE>', 'only this state').choices(['active', 'closing', 'closed', 'disputed', 'resolved']))
    .addHelpText(
      'after',
      '\nExamples:\n  $ dvpn session list --mine\n  $ dvpn session list --provider 7xKX...9fQ --state active\n  $ dvpn session list --node 5Fh3...Xk --json',
    )
    .action(
      withContext(async (ctx, o: { user?: string; mine?: boolean; node?: string; provider?: string; state?: string }) => {
        const user = o.mine ? ctx.signer.publicKey : o.user ? parsePubkey(o.user, '--user') : undefined;
        const node = o.node ? parsePubkey(o.node, '--node') : undefined;
        const provider = o.provider ? (await resolveProvider(ctx, o.provider)).address : undefined;
        let sessions = await listSessions(ctx, { user, node, provider });
        if (o.state) sessions = sessions.filter((s) => stateName(s.account.state).toLowerCase() === o.state);
        sessions.sort((a, b) => (a.account.startTs === b.account.startTs ? 0 : a.account.startTs < b.account.startTs ? -1 : 1));
        const rows: string[][] = [];
        for (const { address, account: s } of sessions) {
          const money = await moneyOf(ctx, s);
          rows.push([
            address.toBase58(),
            modeName(s.mode),
            stateName(s.state),
            s.user.toBase58(),
            money.format(s.escrowAmount),
            money.format(s.remainingBalance),
            isoTime(s.endTs),
          ]);
        }
        ctx.print(
          sessions.map(({ address, account }) => sessionJson(address, account)),
          rows.length === 0 ? 'No sessions found.' : formatTable(['SESSION', 'MODE', 'STATE', 'USER', 'ESCROW', 'REMAINING', 'ENDS'], rows),
        );
      }),
    );

  cmd
    .command('tick')
    .argument('<SESSION>', 'Session address of one of your usage sessions')
    .argument('<TICK>', 'tick number to pay through (1..max ticks)')
    .description('Usage sessions (user side): print the preimage w_TICK that pays ticks up to TICK, to hand to the provider')
    .addHelpText('after', '\nExamples:\n  $ dvpn session tick 9qW2...Lm 25\n  $ dvpn session tick 9qW2...Lm 25 --json | jq -r .preimage')
    .action(
      withContext(async (ctx, arg: string, tickArg: string) => {
        const session = parsePubkey(arg, 'session');
        const state = readSessionState(session.toBase58());
        if (!state) throw new CliError(`no local secret for session ${session.toBase58()} in ${sessionStatePath(session.toBase58())}`);
        const tick = parseInteger(tickArg, 'TICK', 1n, BigInt(state.maxTicks));
        const preimage = chainFromState(state).preimage(tick);
        ctx.printRows({ session, tick, preimage }, null, [
          ['session', session],
          ['tick', tick],
          ['preimage', hex(preimage)],
        ]);
      }),
    );

  cmd
    .command('claim')
    .argument('<SESSION>', 'Session address')
    .description('Provider: claim earned payment (time: elapsed seconds; usage: ticks proven by a preimage)')
    .option('--tick <N>', 'time: seconds since start to claim through (default: all elapsed); usage: tick to claim through (required)')
    .option('--preimage <HEX>', 'usage: the w_TICK the user revealed (default: from the local session secret, if this machine has it)')
    .option('--bytes-used <N>', 'traffic counter to record (never lower than the recorded one; default: unchanged)')
    .addHelpText(
      'after',
      `
Usage sessions: at most 512 ticks per claim, and the preimage must hash to
the last accepted proof.

Examples:
  $ dvpn session claim 9qW2...Lm                         # time session: everything elapsed so far
  $ dvpn session claim 9qW2...Lm --tick 40 --preimage 5e1c...9a --bytes-used 104857600
  $ dvpn session claim 9qW2...Lm --tick 40 --json`,
    )
    .action(
      withContext(async (ctx, arg: string, o: { tick?: string; preimage?: string; bytesUsed?: string }) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const { base, spl, prepare } = await settlement(ctx, address, s);
        let tick: bigint;
        let preimage: Uint8Array | undefined;
        if (s.mode === SessionMode.Time) {
          if (o.tick !== undefined) tick = parseInteger(o.tick, '--tick');
          else {
            const now = await ctx.clockNow();
            const duration = s.endTs - s.startTs;
            const elapsed = now - s.startTs;
            tick = elapsed > duration ? duration : elapsed < 0n ? 0n : elapsed;
            if (tick <= s.lastTick) throw new CliError(`nothing to claim yet: already claimed through ${s.lastTick} s of ${duration} s`);
          }
        } else {
          if (o.tick === undefined) throw new CliError(`usage session: --tick N is required (claimed so far: ${s.lastTick} of ${s.maxTicks})`);
          tick = parseInteger(o.tick, '--tick');
          if (o.preimage) preimage = parseHex32(o.preimage, '--preimage');
          else {
            const state = readSessionState(address.toBase58());
            if (!state) {
              throw new CliError(`no preimage: pass --preimage HEX (the w_${tick} the user revealed); there is no local secret for this session`);
            }
            if (tick > BigInt(state.maxTicks)) throw new CliError(`--tick ${tick} is beyond the hash chain (${state.maxTicks} ticks)`);
            preimage = chainFromState(state).preimage(tick);
          }
          if (tick > s.lastTick && tick - s.lastTick <= 512n && !verifyTick(s.lastProofHash, s.lastTick, preimage, tick) && ctx.verbose) {
            process.stderr.write(`warning: the preimage does not verify against the last proof; sending anyway\n`);
          }
        }
        const bytesUsed = o.bytesUsed !== undefined ? parseInteger(o.bytesUsed, '--bytes-used') : s.bytesUsed;
        const claim = ix.claimChunk({
          authority: ctx.signer.publicKey,
          provider: base.provider,
          session: address,
          treasury: base.treasury,
          tick,
          preimage,
          bytesUsed,
          spl: spl ? { vault: spl.vault, providerToken: spl.providerToken, treasuryToken: spl.treasuryToken } : undefined,
        });
        const res = await ctx.send([...prepare.slice(1), claim]);
        const ev = eventData<{ tick: bigint; amount: bigint; providerAmount: bigint; fee: bigint; claimedAmount: bigint; remainingBalance: bigint }>(res, 'ChunkClaimed');
        ctx.printRows({ signature: res.signature, session: address, currency: money.symbol, ...(ev ?? {}), events: res.events }, `Claimed on ${address.toBase58()}`, [
          ['through', s.mode === SessionMode.Time ? `${tick} s` : `tick ${tick}`],
          ['amount', ev ? money.format(ev.amount) : undefined],
          ['to provider', ev ? money.format(ev.providerAmount) : undefined],
          ['protocol fee', ev ? money.format(ev.fee) : undefined],
          ['claimed total', ev ? money.format(ev.claimedAmount) : undefined],
          ['remaining', ev ? money.format(ev.remainingBalance) : undefined],
          ['signature', res.signature],
        ]);
      }),
    );

  cmd
    .command('close')
    .argument('<SESSION>', 'Session address (yours)')
    .description('User: end an active session (time: pays elapsed time and refunds the rest; usage: stops it, the provider may still claim during the settle window)')
    .addHelpText('after', '\nExamples:\n  $ dvpn session close 9qW2...Lm\n  $ dvpn session close 9qW2...Lm --json | jq .refund')
    .action(
      withContext(async (ctx, arg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const { base, spl, prepare } = await settlement(ctx, address, s);
        const res = await ctx.send([...prepare, ix.closeSession({ user: ctx.signer.publicKey, ...base, spl })]);
        const ev = eventData<{ state: number; providerAmount: bigint; fee: bigint; refund: bigint; remainingBalance: bigint }>(res, 'SessionClosed');
        ctx.printRows(
          { signature: res.signature, session: address, currency: money.symbol, ...(ev ? { ...ev, state: stateName(ev.state) } : {}), events: res.events },
          `Session ${address.toBase58()} closed`,
          [
            ['state', ev ? stateName(ev.state) : undefined],
            ['to provider', ev ? money.format(ev.providerAmount) : undefined],
            ['protocol fee', ev ? money.format(ev.fee) : undefined],
            ['refund', ev ? money.format(ev.refund) : undefined],
            ['remaining', ev ? money.format(ev.remainingBalance) : undefined],
            ['signature', res.signature],
          ],
        );
      }),
    );

  cmd
    .command('payout')
    .argument('<SESSION>', 'Session address')
    .description('Settle a session and close its account: pays what was earned, refunds the rest to the user (anyone may call after the settle deadline; the user at once once funds are settled)')
    .addHelpText('after', '\nExamples:\n  $ dvpn session payout 9qW2...Lm\n  $ dvpn session payout 9qW2...Lm --json')
    .action(
      withContext(async (ctx, arg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const { base, spl, prepare } = await settlement(ctx, address, s);
        const res = await ctx.send([...prepare, ix.claimPayout({ caller: ctx.signer.publicKey, user: s.user, ...base, spl })]);
        removeSessionState(address.toBase58());
        const ev = eventData<{ providerAmount: bigint; fee: bigint; refund: bigint; claimedAmount: bigint; refundedAmount: bigint }>(res, 'PayoutClaimed');
        ctx.printRows({ signature: res.signature, session: address, currency: money.symbol, ...(ev ?? {}), events: res.events }, `Session ${address.toBase58()} settled and closed`, [
          ['to provider', ev ? money.format(ev.providerAmount) : undefined],
          ['protocol fee', ev ? money.format(ev.fee) : undefined],
          ['refund', ev ? money.format(ev.refund) : undefined],
          ['claimed total', ev ? money.format(ev.claimedAmount) : undefined],
          ['refunded total', ev ? money.format(ev.refundedAmount) : undefined],
          ['signature', res.signature],
        ]);
      }),
    );

  cmd
    .command('dispute')
    .argument('<SESSION>', 'Session address')
    .description('User or provider: freeze the escrow for the admin to resolve (before the settle deadline); frees the node slot at once')
    .option('--reason <CODE>', 'reason code 0..255 (e.g. 1 = no service, 2 = overbilling, 3 = abuse)', '0')
    .addHelpText('after', '\nExamples:\n  $ dvpn session dispute 9qW2...Lm --reason 1')
    .action(
      withContext(async (ctx, arg: string, o: { reason: string }) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const reason = Number(parseInteger(o.reason, '--reason', 0n, 255n));
        const res = await ctx.send([ix.raiseDispute({ signer: ctx.signer.publicKey, provider: s.provider, node: s.node, session: address, reason })]);
        ctx.printRows({ signature: res.signature, session: address, reason, events: res.events }, `Session ${address.toBase58()} disputed`, [
          ['reason', reason],
          ['signature', res.signature],
        ]);
      }),
    );

  cmd
    .command('resolve')
    .argument('<SESSION>', 'Session address (in dispute)')
    .description('Admin: settle a disputed session: pay the provider part of the remaining escrow, refund the rest, optionally slash stake')
    .requiredOption('--provider-amount <AMOUNT>', "provider's share of the remaining escrow, in the session's currency (SOL or USDC)")
    .option('--slash <SOL>', 'SOL to slash from the provider stake to the treasury', '0')
    .addHelpText('after', '\nExamples:\n  $ dvpn session resolve 9qW2...Lm --provider-amount 0\n  $ dvpn session resolve 9qW2...Lm --provider-amount 0.004 --slash 0.5 --json')
    .action(
      withContext(async (ctx, arg: string, o: { providerAmount: string; slash: string }) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const money = await moneyOf(ctx, s);
        const providerAmount = money.parse(o.providerAmount, '--provider-amount');
        const slashLamports = parseSol(o.slash, '--slash');
        const { base, spl, prepare } = await settlement(ctx, address, s);
        const res = await ctx.send([
          ...prepare,
          ix.resolveDispute({ admin: ctx.signer.publicKey, user: s.user, ...base, spl, providerAmount, slashLamports }),
        ]);
        const ev = eventData<{ providerAmount: bigint; fee: bigint; refund: bigint; slashed: bigint }>(res, 'DisputeResolved');
        ctx.printRows({ signature: res.signature, session: address, currency: money.symbol, ...(ev ?? {}), events: res.events }, `Dispute on ${address.toBase58()} resolved`, [
          ['to provider', ev ? money.format(ev.providerAmount) : undefined],
          ['protocol fee', ev ? money.format(ev.fee) : undefined],
          ['refund', ev ? money.format(ev.refund) : undefined],
          ['slashed', ev ? formatSol(ev.slashed) : undefined],
          ['signature', res.signature],
        ]);
      }),
    );

  cmd
    .command('rate')
    .argument('<SESSION>', 'Session address (yours, ended)')
    .argument('<RATING>', '1 (worst) .. 5 (best)')
    .description("User: rate the provider once after the session ended (updates the provider's reputation; only sessions that paid at least the Config minimum count, weighted by what they paid)")
    .addHelpText('after', '\nExamples:\n  $ dvpn session rate 9qW2...Lm 5')
    .action(
      withContext(async (ctx, arg: string, ratingArg: string) => {
        const { address, account: s } = await loadSession(ctx, arg);
        const rating = Number(parseInteger(ratingArg, 'RATING', 1n, 5n));
        const me = ctx.signer.publicKey;
        const provider = await fetchProvider(ctx.connection, s.provider);
        if (provider && provider.authority.equals(me)) throw new CliError('SelfRating — a provider cannot rate its own session');
        const config = await ctx.config();
        const minimum = isTokenSession(s) ? config.minRatingToken : config.minRatingLamports;
        if (ratingWeight(s.claimedAmount, minimum) === 0n) {
          const money = await moneyOf(ctx, s);
          throw new CliError(
            `RatingNotEarned — the session paid the provider ${money.format(s.claimedAmount)}, less than the ${money.format(minimum)} a rating needs (Config minimum)`,
          );
        }
        const res = await ctx.send([ix.updateReputation({ user: me, provider: s.provider, session: address, rating })]);
        const ev = eventData<{ reputationScore: number; ratingCount: number }>(res, 'ReputationUpdated');
        ctx.printRows({ signature: res.signature, session: address, rating, ...(ev ?? {}), events: res.events }, `Rated ${rating}/5`, [
          ['provider', s.provider],
          ['reputation', ev ? `${ev.reputationScore}/2000 after ${ev.ratingCount} ratings` : undefined],
          ['signature', res.signature],
        ]);
      }),
    );
  return cmd;
}
