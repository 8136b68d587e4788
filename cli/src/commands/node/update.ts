// `dvpn node update`: Change a node you own; unspecified fields are kept
import { Command } from 'commander';
import { MAX_REGION_LEN, ix } from '@dvpn/sdk';
import { resolveNode } from '../../accounts.js';
import { CliError } from '../../errors.js';
import { parseInteger, parseSol, parseUnits, parseWgKey } from '../../format.js';
import { withContext } from '../../run.js';
import { tokenFormat, checkEndpoint, checkWgKeyUnique, needConfigFor, checkText, printNode, type NodeOpts } from './shared.js';

export function nodeUpdateCommand(): Command {
  return new Command('update')
    .argument('<NODE>', 'Node address, or the node id (0, 1, ...) of your provider')
    .description('Change a node you own; unspecified fields are kept')
    .option('--endpoint <HOST:PORT>', 'new endpoint')
    .option('--region <REGION>', 'new region')
    .option('--price-sol <SOL>', 'new SOL price per minute')
    .option('--price-usdc <USDC>', 'new token price per minute (0 disables token sessions)')
    .option('--tick-price-sol <SOL>', 'new SOL price per usage tick (0 disables SOL usage sessions)')
    .option('--tick-price-usdc <USDC>', 'new token price per usage tick (0 disables token usage sessions)')
    .option('--capacity <N>', 'new maximum concurrent sessions (may be below the active count)')
    .option('--wg-pubkey <KEY>', 'new WireGuard server public key')
    .option('--active', 'accept new sessions')
    .option('--inactive', 'stop accepting new sessions (running sessions continue)')
    .addHelpText(
      'after',
      `
Examples:
  $ dvpn node update 0 --price-sol 0.0002 --capacity 100
  $ dvpn node update 0 --tick-price-sol 0.00002 --tick-price-usdc 0.002
  $ dvpn node update 5Fh3...Xk --inactive
  $ dvpn node update 0 --active --region eu-central --json`,
    )
    .action(
      withContext(async (ctx, nodeArg: string, o: NodeOpts) => {
        if (o.active && o.inactive) throw new CliError('--active and --inactive exclude each other');
        if (o.endpoint !== undefined) checkEndpoint(o.endpoint);
        const { address, account: current } = await resolveNode(ctx, nodeArg);
        if (o.wgPubkey !== undefined) await checkWgKeyUnique(ctx, current.provider, parseWgKey(o.wgPubkey), address);
        await needConfigFor(ctx, o);
        const needsToken = o.priceUsdc !== undefined || o.tickPriceUsdc !== undefined;
        const token = needsToken ? await tokenFormat(ctx) : { decimals: 0 };
        const params = {
          authority: ctx.signer.publicKey,
          node: address,
          endpoint: o.endpoint !== undefined ? checkEndpoint(o.endpoint) : null,
          region: o.region !== undefined ? checkText(o.region, MAX_REGION_LEN, '--region') : null,
          pricePerMinute: o.priceSol !== undefined ? parseSol(o.priceSol, '--price-sol') : null,
          pricePerMinuteToken: o.priceUsdc !== undefined ? parseUnits(o.priceUsdc, token.decimals, '--price-usdc') : null,
          pricePerTick: o.tickPriceSol !== undefined ? parseSol(o.tickPriceSol, '--tick-price-sol') : null,
          pricePerTickToken: o.tickPriceUsdc !== undefined ? parseUnits(o.tickPriceUsdc, token.decimals, '--tick-price-usdc') : null,
          maxCapacity: o.capacity !== undefined ? Number(parseInteger(o.capacity, '--capacity', 0n, 0xffff_ffffn)) : null,
          wgServerPubkey: o.wgPubkey !== undefined ? parseWgKey(o.wgPubkey) : null,
          isActive: o.active ? true : o.inactive ? false : null,
        };
        if (Object.entries(params).every(([k, v]) => k === 'authority' || k === 'node' || v === null)) {
          throw new CliError('nothing to update: give at least one of --endpoint --region --price-sol --price-usdc --tick-price-sol --tick-price-usdc --capacity --wg-pubkey --active --inactive');
        }
        const res = await ctx.send([ix.updateNode(params)]);
        const { account } = await resolveNode(ctx, address.toBase58());
        await printNode(ctx, address, account, `Node ${address.toBase58()} updated`, { signature: res.signature, events: res.events });
      }),
    );
}
