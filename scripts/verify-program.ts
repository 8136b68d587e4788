// Checks that the program deployed at an address is the build whose hash was
// published: reads the Program account and its ProgramData over any JSON-RPC,
// hashes the ELF (trailing zeros dropped, as solana-verify does) and compares.
//
//   npx tsx scripts/verify-program.ts --url <RPC> [--program-id <PUBKEY> | --buffer <PUBKEY>]
//       [--so target/deploy/dvpn.so | --hash <SHA256>] [--authority <PUBKEY>|none] [--json]
//
// --buffer checks an upgrade's buffer (solana program write-buffer) instead,
// before the multisig approves deploying it; --authority is then the buffer's.
//
// Exit 0: the hash (and the upgrade authority, when given) match; 1: they do
// not; 2: bad input or the program could not be read.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { Connection, PublicKey } from '@solana/web3.js';
import { DVPN_PROGRAM_ID, publicClusterOf } from '@dvpn/sdk';
import { executableHash, fetchDeployedProgram, fetchProgramBuffer, programSoPath, readProgramSo } from '@dvpn/sdk/node';

export interface VerifyOptions {
  url: string;
  programId?: PublicKey;
  /** Check this upgrade buffer instead of the deployed program. */
  buffer?: PublicKey;
  /** Expected hash (hex); else the hash of `so`. */
  hash?: string;
  so?: string;
  /** Expected upgrade authority; null: the program must be immutable. */
  authority?: PublicKey | null;
}

export interface VerifyResult {
  cluster: string;
  /** The program, or the buffer with --buffer. */
  kind: 'program' | 'buffer';
  address: string;
  programData: string | null;
  lastDeploySlot: string | null;
  upgradeAuthority: string | null;
  onChainHash: string;
  expectedHash: string;
  hashMatches: boolean;
  authorityMatches: boolean | null;
  ok: boolean;
}

export async function verifyProgram(o: VerifyOptions): Promise<VerifyResult> {
  const expectedHash = o.hash ? o.hash.toLowerCase() : executableHash(readProgramSo(o.so ?? programSoPath()));
  if (!/^[0-9a-f]{64}$/.test(expectedHash)) throw new Error(`--hash must be 64 hex digits (a sha256), got "${o.hash}"`);
  const connection = new Connection(o.url, 'confirmed');
  const genesis = await connection.getGenesisHash();
  const deployed = o.buffer
    ? { ...(await fetchProgramBuffer(connection, o.buffer)), programData: null, slot: null }
    : await (async () => {
        const d = await fetchDeployedProgram(connection, o.programId ?? DVPN_PROGRAM_ID);
        return { ...d, authority: d.upgradeAuthority };
      })();
  const hashMatches = deployed.hash === expectedHash;
  const authorityMatches =
    o.authority === undefined ? null : o.authority === null ? deployed.authority === null : !!deployed.authority?.equals(o.authority);
  return {
    cluster: publicClusterOf(genesis) ?? `local (genesis ${genesis})`,
    kind: o.buffer ? 'buffer' : 'program',
    address: (o.buffer ?? o.programId ?? DVPN_PROGRAM_ID).toBase58(),
    programData: deployed.programData?.toBase58() ?? null,
    lastDeploySlot: deployed.slot?.toString() ?? null,
    upgradeAuthority: deployed.authority?.toBase58() ?? null,
    onChainHash: deployed.hash,
    expectedHash,
    hashMatches,
    authorityMatches,
    ok: hashMatches && authorityMatches !== false,
  };
}

function pubkey(text: string, what: string): PublicKey {
  try {
    return new PublicKey(text);
  } catch {
    throw new Error(`${what}: "${text}" is not a base58 public key`);
  }
}

async function main(argv: string[]): Promise<number> {
  const cmd = new Command('verify-program')
    .description('Compare the program deployed on a cluster with a build (or a published sha256)')
    .option('-u, --url <RPC>', 'JSON-RPC URL of the cluster (default $SOLANA_RPC_URL)')
    .option('--program-id <PUBKEY>', 'program address', DVPN_PROGRAM_ID.toBase58())
    .option('--buffer <PUBKEY>', 'check this upgrade buffer instead of the deployed program')
    .option('--so <PATH>', 'the build to compare with (default target/deploy/dvpn.so)')
    .option('--hash <SHA256>', 'the published hash instead of a local build')
    .option('--authority <PUBKEY|none>', 'expected upgrade (or buffer) authority, e.g. the multisig vault; none: immutable')
    .option('--json', 'print JSON')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ url?: string; programId: string; buffer?: string; so?: string; hash?: string; authority?: string; json?: boolean }>();
  const url = o.url ?? process.env.SOLANA_RPC_URL;
  if (!url) throw new Error('give the cluster with --url <RPC> (or SOLANA_RPC_URL)');
  if (o.so && o.hash) throw new Error('give --so or --hash, not both');
  const r = await verifyProgram({
    url,
    programId: pubkey(o.programId, '--program-id'),
    buffer: o.buffer ? pubkey(o.buffer, '--buffer') : undefined,
    so: o.so,
    hash: o.hash,
    authority: o.authority === undefined ? undefined : o.authority === 'none' ? null : pubkey(o.authority, '--authority'),
  });
  if (o.json) console.log(JSON.stringify(r, null, 2));
  else {
    const what = r.kind === 'program' ? 'Program' : 'Buffer';
    console.log(r.ok ? `${what} ${r.address} matches` : `${what} ${r.address} DOES NOT match`);
    const rows: [string, string][] = [
      ['cluster', r.cluster],
      ...(r.programData ? ([['program data', r.programData]] as [string, string][]) : []),
      ...(r.lastDeploySlot ? ([['last deploy slot', r.lastDeploySlot]] as [string, string][]) : []),
      [
        r.kind === 'program' ? 'upgrade authority' : 'buffer authority',
        `${r.upgradeAuthority ?? 'none (immutable)'}${r.authorityMatches === false ? '  <- not the expected one' : ''}`,
      ],
      ['on-chain sha256', r.onChainHash],
      ['expected sha256', `${r.expectedHash}${r.hashMatches ? '' : '  <- differs'}`],
    ];
    for (const [k, v] of rows) console.log(`  ${k.padEnd(18)} ${v}`);
  }
  return r.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error & { code?: string }) => {
      // commander already printed help/usage errors.
      if (!e.code?.startsWith('commander.')) console.error(`verify-program: ${e.message}`);
      process.exit(e.code === 'commander.helpDisplayed' ? 0 : 2);
    },
  );
}
