// Claim batching benchmark (not part of the tests): prints figures, stops by itself.
//
//   npx tsx bench/daemon-claims.ts [--sessions 200] [--baseline 40] [--rounds 2]
//
// One in-process daemon (WireGuard in memory) on the embedded chain with the
// real program, N admitted sessions (usage and time, SOL and the harness
// token). Each round makes every session owe a claim (ticks paid, clock
// moved) and runs one poll: the daemon packs the claims into transactions.
// Printed per round: transactions sent, sessions per transaction, the fee per
// session (from each transaction's meta.fee), and the same for a baseline
// daemon held to one session per transaction (the behaviour before batching).
import { SessionMode } from '@dvpn/sdk';
import { startChain, type Chain } from '../tests/harness/surfnet.js';
import { createProviderWithNode, initConfig, openTimeSession, openUsageSession, type SessionCtx } from '../tests/harness/fixtures.js';
import { http } from '../daemon/test/helpers/http.js';
import { authBody, startInProcess, waitFor, type InProc } from '../daemon/test/helpers/inproc.js';
import { generateWgKeypair } from '../daemon/src/wireguard/keys.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const SESSIONS = opt('sessions', 200);
const BASELINE = opt('baseline', 40);
const ROUNDS = opt('rounds', 2);

async function run(chain: Chain, label: string, n: number, batchMaxSessions: number | undefined, rounds: number): Promise<void> {
  const nodeCtx = await createProviderWithNode(chain, { maxCapacity: Math.max(8, n + 8), endpoint: '192.0.2.1:51820' });
  const d: InProc = await startInProcess(chain, nodeCtx, {
    overrides: {
      wireguard: { pool: '10.77.0.0/20' },
      usage: { tickIntervalSeconds: 3600, tickGraceSeconds: 3600 },
      claims: { intervalSeconds: 1, ...(batchMaxSessions ? { batchMaxSessions } : {}) },
    },
  });
  try {
    const sessions: SessionCtx[] = [];
    for (let i = 0; i < n; i++) {
      const spl = i % 4 >= 2; // half SOL, half token
      sessions.push(
        i % 2 === 0
          ? await openUsageSession(chain, nodeCtx, { maxTicks: 1000, durationMinutes: 60 }, { spl })
          : await openTimeSession(chain, nodeCtx, 60, { spl }),
      );
    }
    console.log(`${label}: ${n} sessions opened`);
    for (const s of sessions) {
      const res = await http(d.target, 'POST', '/session/auth', authBody(s.session, s.user, generateWgKeypair().publicKey));
      if (res.status !== 200) throw new Error(`auth: ${res.status} ${res.text}`);
    }
    const rec = (s: SessionCtx) => d.daemon.ctx.store.sessions.get(s.session.toBase58())!;
    const seen = new Set<string>();
    for (let round = 1; round <= rounds; round++) {
      const tick = 5 * round;
      for (const s of sessions) {
        if (s.mode !== SessionMode.Usage) continue;
        const res = await http(d.target, 'POST', `/session/${s.session.toBase58()}/ticks`, {
          tick,
          preimage: Buffer.from(s.hashChain!.preimage(tick)).toString('hex'),
        });
        if (res.status !== 200) throw new Error(`ticks: ${res.status} ${res.text}`);
      }
      await chain.warpSeconds(60);
      await new Promise((r) => setTimeout(r, 1100)); // the claim interval
      const started = performance.now();
      // Polls as the daemon's timer would: a claim that failed (an RPC timeout on a loaded machine) is retried at a later poll.
      let polls = 0;
      await waitFor(
        async () => {
          polls++;
          await d.daemon.ctx.lifecycle.pollOnce();
          await waitFor(() => d.daemon.ctx.claimer.busy === 0, 'claims idle', 600_000, 20);
          return sessions.every((s) => rec(s).claims.length === round && !rec(s).pending);
        },
        `round ${round}`,
        600_000,
        100,
      );
      const ms = performance.now() - started;
      const signatures = new Set<string>();
      for (const s of sessions) for (const c of rec(s).claims) if (c.signature && !seen.has(c.signature)) signatures.add(c.signature);
      let fees = 0;
      for (const sig of signatures) {
        seen.add(sig);
        const tx = await waitFor(
          () => chain.connection.getTransaction(sig, { commitment: 'confirmed', maxSupportedTransactionVersion: 0 }),
          `transaction ${sig}`,
        );
        fees += tx.meta?.fee ?? 0;
      }
      console.log(
        `${label}, round ${round}: ${n} sessions -> ${signatures.size} transactions` +
          ` (${(n / signatures.size).toFixed(1)} sessions per transaction, ${Math.round(fees / n)} lamports of fee per session,` +
          ` ${(signatures.size / n).toFixed(3)} tx per session; ${polls} poll(s), ${Math.round(ms)} ms)`,
      );
    }
  } finally {
    await d.close();
  }
}

const chain = await startChain();
try {
  await initConfig(chain);
  console.log(`claim batching on the embedded chain (${SESSIONS} sessions: usage and time, SOL and token)`);
  await run(chain, 'batched', SESSIONS, undefined, ROUNDS);
  if (BASELINE > 0) await run(chain, 'one session per transaction (baseline)', BASELINE, 1, 1);
} finally {
  chain.close();
}
process.exit(0);
