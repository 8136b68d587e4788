// `dvpn dev`: helpers for the local cluster of make dev / make chain (refused on mainnet).
import { Command } from 'commander';
import { devMintCommand } from './dev-mint.js';
import { devWarpCommand } from './dev-warp.js';

export function devCommand(): Command {
  const cmd = new Command('dev')
    .description('Local cluster helpers (make dev / make chain): dev USDC, time travel')
    .addHelpText('after', '\nExamples:\n  $ dvpn dev mint 100\n  $ dvpn dev warp 10m');
  cmd.addCommand(devMintCommand());
  cmd.addCommand(devWarpCommand());
  return cmd;
}
