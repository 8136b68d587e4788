// Checks that the program deployed at an address is the build whose hash was
// published: reads the Program account and its ProgramData over any JSON-RPC,
// hashes the ELF (trailing zeros dropped, as solana-verify does) and compares.
//
//   npx tsx scripts/verify-program.ts --url <RPC> [--program-id <PUBKEY>]
//       [--so target/deploy/dvpn.so | --hash <SHA256>] [--authority <PUBKEY>|none] [--json]
//
// Exit 0: the hash (and the upgrade authority, when given) match; 1: they do
// not; 2: bad input or the program could not be read.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { Connection, PublicKey } from '@solana/web3.js';
import { DVPN_PROGRAM_ID, publicClusterOf } from '@dvpn/sdk';
import { executableHash, fetchDeployedProgram, programSoPath, readProgramSo } from '@dvpn/sdk/node';

export interface VerifyOptions {
  url: string;
  programId?: PublicKey;
  /** Expected hash (hex); else the hash of `so`. */
  hash?: string;
  so?: string;
  /** Expected upgrade authority; null: the program must be immutable. */
  authority?: PublicKey | null;
}

export interface VerifyResult {
  cluster: string;
  programId: string;
  programData: string;
  lastDeploySlot: string;
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
  const programId = o.programId ?? DVPN_PROGRAM_ID;
  const deployed = await fetchDeployedProgram(connection, programId);
  const hashMatches = deployed.hash === expectedHash;
  const authorityMatches =
    o.authority === undefined ? null : o.authority === null ? deployed.upgradeAuthority === null : !!deployed.upgradeAuthority?.equals(o.authority);
  return {
    cluster: publicClusterOf(genesis) ?? `local (genesis ${genesis})`,
    programId: programId.toBase58(),
    programData: deployed.programData.toBase58(),
    lastDeploySlot: deployed.slot.toString(),
    upgradeAuthority: deployed.upgradeAuthority?.toBase58() ?? null,
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
    .option('--so <PATH>', 'the build to compare with (default target/deploy/dvpn.so)')
    .option('--hash <SHA256>', 'the published hash instead of a local build')
    .option('--authority <PUBKEY|none>', 'expected upgrade authority (the multisig vault), or none for an immutable program')
    .option('--json', 'print JSON')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<{ url?: string; programId: string; so?: string; hash?: string; authority?: string; json?: boolean }>();
  const url = o.url ?? process.env.SOLANA_RPC_URL;
  if (!url) throw new Error('give the cluster with --url <RPC> (or SOLANA_RPC_URL)');
  if (o.so && o.hash) throw new Error('give --so or --hash, not both');
  const r = await verifyProgram({
    url,
    programId: pubkey(o.programId, '--program-id'),
    so: o.so,
    hash: o.hash,
    authority: o.authority === undefined ? undefined : o.authority === 'none' ? null : pubkey(o.authority, '--authority'),
  });
  if (o.json) console.log(JSON.stringify(r, null, 2));
  else {
    console.log(r.ok ? `Program ${r.programId} matches` : `Program ${r.programId} DOES NOT match`);
    const rows: [string, string][] = [
      ['cluster', r.cluster],
      ['program data', r.programData],
      ['last deploy slot', r.lastDeploySlot],
      ['upgrade authority', `${r.upgradeAuthority ?? 'none (immutable)'}${r.authorityMatches === false ? '  <- not the expected one' : ''}`],
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
