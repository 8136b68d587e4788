// The load client both fan-out benches fork: graphql-ws subscribers over raw
// graphql-transport-ws (`ws`, no client library, so the client side costs little
// and the figures show the server). Each subscribes to one region's node capacity,
// timestamps every update by its `signature` (the publish number) and reports to
// the parent over IPC once every subscriber has seen every publish.
import { WebSocket } from 'ws';

const now = () => performance.timeOrigin + performance.now();

/** Subscribers `first .. first + count` spread over `urls`; waits for `publishes` updates on each. */
export async function fanoutClient(p: { urls: string[]; first: number; count: number; publishes: number; region: string }): Promise<void> {
  const { urls, first, count, publishes } = p;
  const received: Record<number, number[]> = {};
  let complete = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const sockets: WebSocket[] = [];
  const query = `subscription { nodeCapacity(region: "${p.region}") { nodePubkey freeCapacity signature } }`;
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(urls[(first + i) % urls.length], 'graphql-transport-ws');
      sockets.push(ws);
      ws.on('open', () => ws.send('{"type":"connection_init"}'));
      ws.on('error', reject);
      ws.on('message', (raw: Buffer) => {
        const t = now();
        const text = raw.toString();
        if (text.startsWith('{"type":"connection_ack"')) {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
          resolve();
          return;
        }
        if (text.includes('"type":"next"')) {
          const m = /"signature":"(\d+)"/.exec(text);
          const seq = m ? Number(m[1]) : -1;
          (received[seq] ??= []).push(t);
          if (received[seq].length === count && ++complete === publishes) resolveAll();
        } else if (text.includes('"type":"ping"')) {
          ws.send('{"type":"pong"}');
        } else if (!text.includes('"type":"pong"')) {
          process.send!({ type: 'error', error: text.slice(0, 200), i });
        }
      });
    });
  // Connect in waves so the listen backlogs are not flooded.
  for (let i = 0; i < count; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, count - i) }, (_, j) => open(i + j)));
  }
  process.send!({ type: 'connected', count });
  await all;
  await new Promise<void>((r) => process.send!({ type: 'received', received }, undefined, {}, () => r()));
  for (const ws of sockets) ws.terminate();
}
