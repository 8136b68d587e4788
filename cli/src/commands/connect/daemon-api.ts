// The node daemon's HTTP API as `dvpn connect` uses it: where it is, whether it
// is there (asked before anything is paid), and JSON calls with its errors.
import type { PublicKey } from '@solana/web3.js';
import { CliError } from '../../errors.js';

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(`node daemon: ${message} (${status} ${code})`, { status, code });
  }
}

export async function api<T>(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new CliError(`cannot reach the node daemon at ${base}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? text.slice(0, 200), json);
  }
  return json as T;
}

/** http://HOST:PORT of the node's endpoint: the daemon serves its API on the WireGuard port number over TCP. */
export function defaultApiUrl(endpoint: string): string {
  if (!/^[A-Za-z0-9.\-:[\]]+:\d{1,5}$/.test(endpoint)) throw new CliError(`node endpoint "${endpoint}" is not HOST:PORT; pass --api URL`);
  return `http://${endpoint}`;
}

/** Is the node's daemon there (and serving this node)? Asked before any session is opened or paid. */
export async function probeDaemon(base: string, node: PublicKey): Promise<void> {
  let res: Response;
  try {
    res = await fetch(new URL('/node', base), { signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new CliError(`the node daemon at ${base} does not answer (${(err as Error).cause ?? (err as Error).message}); nothing was paid. Is the node up? (--api URL to point elsewhere)`);
  }
  const text = await res.text();
  if (!res.ok) throw new CliError(`the node daemon at ${base} answered GET /node with ${res.status}: ${text.slice(0, 200)}; nothing was paid`);
  let served: string | undefined;
  try {
    served = (JSON.parse(text) as { node?: string }).node;
  } catch {
    /* not JSON: below */
  }
  if (served !== node.toBase58()) {
    throw new CliError(`${base} serves node ${served ?? '(not a dvpn daemon)'}, not ${node.toBase58()}; nothing was paid`);
  }
}
