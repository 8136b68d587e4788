// Driver adapter for the Prisma 6 CLI (migrate deploy/status/dev) and client.
//
// Prisma's native schema engine cannot be downloaded on these machines, so the
// CLI runs its WebAssembly schema engine through a driver adapter
// (prisma.config.ts: engine 'js'). @prisma/adapter-pg 6.19 has no column-type
// mapping for Postgres `name` (OID 19) and `"char"` (OID 18), which the schema
// engine's catalog queries return (prisma/orm#27403: "Column type 'name' could
// not be deserialized"). Every pg client of this pool reports those columns as
// `text` (OID 25), which is what their values are.
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';

const NAME_OID = 19;
const CHAR_OID = 18;
const TEXT_OID = 25;

type Field = { dataTypeID: number };
type Result = { fields?: Field[] } | Result[] | undefined;

function fixFields(result: Result): Result {
  const list = Array.isArray(result) ? result : [result];
  for (const r of list) {
    for (const f of (r as { fields?: Field[] })?.fields ?? []) {
      if (f.dataTypeID === NAME_OID || f.dataTypeID === CHAR_OID) f.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

/** Makes a pg client report `name` and `"char"` result columns as text. */
export function patchClient(client: pg.ClientBase): void {
  const marked = client as pg.ClientBase & { __dvpnPatched?: boolean };
  if (marked.__dvpnPatched) return;
  marked.__dvpnPatched = true;
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: Result) => (last as (e: unknown, r: Result) => void)(err, err ? res : fixFields(res));
      return original(...args);
    }
    // Query objects with their own callback (pg's Query submittable form).
    const first = args[0] as { callback?: (e: unknown, r: Result) => void } | undefined;
    if (first && typeof first === 'object' && typeof first.callback === 'function') {
      const cb = first.callback;
      first.callback = (err, res) => cb(err, err ? res : fixFields(res));
      return original(...args);
    }
    const out = original(...args) as Promise<Result> | undefined;
    return out && typeof (out as Promise<Result>).then === 'function' ? (out as Promise<Result>).then(fixFields) : out;
  };
}

/** A pg pool whose clients carry the OID mapping above. */
export function createPatchedPool(connectionString: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, allowExitOnIdle: true, idleTimeoutMillis: 200 });
  pool.on('connect', (client) => patchClient(client));
  return pool;
}

/** The driver adapter factory prisma.config.ts hands to the Prisma 6 CLI. */
export function createMigrationAdapter(connectionString: string): PrismaPg {
  return new PrismaPg(createPatchedPool(connectionString), { disposeExternalPool: true });
}
