// Minimal JSON-RPC over HTTP (fetch, keep-alive) for the datasources: the
// indexer needs a handful of methods and their raw JSON (fixtures are raw
// getTransaction results), not a full client.
import type { GetTransactionResult } from './decode.js';

export class RpcError extends Error {
  constructor(readonly method: string, readonly code: number | undefined, message: string) {
    super(`${method}: ${message}`);
    this.name = 'RpcError';
  }
}

export interface SignatureInfo {
  signature: string;
  slot: number;
  err: unknown;
  blockTime?: number | null;
}

export interface ProgramAccount {
  pubkey: string;
  account: { data: [string, string]; owner: string; lamports: number };
}

export class Rpc {
  private id = 0;
  constructor(readonly url: string, private readonly timeoutMs = 30_000) {}

  async call<T>(method: string, params: unknown[] = []): Promise<T> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: ++this.id, method, params });
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new RpcError(method, res.status, `HTTP ${res.status} ${await res.text().catch(() => '')}`.trim());
    const json = (await res.json()) as { result?: T; error?: { code: number; message: string } };
    if (json.error) throw new RpcError(method, json.error.code, json.error.message);
    return json.result as T;
  }

  getSlot(commitment = 'confirmed'): Promise<number> {
    return this.call('getSlot', [{ commitment }]);
  }

  getSignaturesForAddress(
    address: string,
    opts: { before?: string; until?: string; limit?: number },
    commitment = 'confirmed',
  ): Promise<SignatureInfo[]> {
    const cfg: Record<string, unknown> = { commitment, limit: opts.limit ?? 1000 };
    if (opts.before) cfg.before = opts.before;
    if (opts.until) cfg.until = opts.until;
    return this.call('getSignaturesForAddress', [address, cfg]);
  }

  getTransaction(signature: string, commitment = 'confirmed'): Promise<GetTransactionResult | null> {
    return this.call('getTransaction', [
      signature,
      { encoding: 'json', commitment, maxSupportedTransactionVersion: 0 },
    ]);
  }

  async getProgramAccounts(programId: string, commitment = 'confirmed'): Promise<{ slot: number; accounts: ProgramAccount[] }> {
    const res = await this.call<{ context: { slot: number }; value: ProgramAccount[] }>('getProgramAccounts', [
      programId,
      { encoding: 'base64', commitment, withContext: true },
    ]);
    return { slot: res.context.slot, accounts: res.value };
  }

  async getMultipleAccounts(keys: string[], commitment = 'confirmed'): Promise<{ slot: number; accounts: (ProgramAccount['account'] | null)[] }> {
    const res = await this.call<{ context: { slot: number }; value: (ProgramAccount['account'] | null)[] }>('getMultipleAccounts', [
      keys,
      { encoding: 'base64', commitment },
    ]);
    return { slot: res.context.slot, accounts: res.value };
  }
}

/** Runs fn over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}
