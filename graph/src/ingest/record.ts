// Records a program's history as replayable fixtures: every successful
// transaction (raw getTransaction JSON) in execution order. Used to build the
// test fixtures and the benchmark stream; works against any RPC endpoint.
import { DVPN_PROGRAM_ID } from '@dvpn/sdk';
import { decodeTransaction, fromGetTransaction, type GetTransactionResult } from './decode.js';
import { Rpc, mapLimit } from './rpc.js';

export async function recordProgramTransactions(
  rpcUrl: string,
  opts: { programId?: string; concurrency?: number } = {},
): Promise<GetTransactionResult[]> {
  const rpc = new Rpc(rpcUrl);
  const programId = opts.programId ?? DVPN_PROGRAM_ID.toBase58();
  const sigs: { signature: string; err: unknown }[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await rpc.getSignaturesForAddress(programId, { before, limit: 1000 });
    sigs.push(...page);
    if (page.length < 1000) break;
    before = page[page.length - 1].signature;
  }
  const ok = sigs.filter((s) => !s.err).reverse();
  const txs = await mapLimit(ok, opts.concurrency ?? 16, async (s) => {
    const tx = await rpc.getTransaction(s.signature);
    if (!tx) throw new Error(`getTransaction ${s.signature}: not found`);
    return tx;
  });
  // Execution order: program clock first, slot second (stable).
  const key = (t: GetTransactionResult) => {
    const d = decodeTransaction(fromGetTransaction(t));
    const ev = d?.events[0]?.event.data as { timestamp?: bigint } | undefined;
    return ev?.timestamp ?? 0n;
  };
  const keyed = txs.map((t, i) => ({ t, i, ts: key(t) }));
  keyed.sort((a, b) => (a.ts !== b.ts ? (a.ts < b.ts ? -1 : 1) : a.t.slot - b.t.slot || a.i - b.i));
  return keyed.map((k) => k.t);
}
