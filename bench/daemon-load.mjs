// The load generator of bench/daemon.ts, on its own thread: the bench's main
// thread also runs the embedded chain's JavaScript side (its event drain
// timer, the harness), and a stall there would be counted as the daemon's
// latency. Here the event loop does nothing but the auth requests, and its own
// delay over the round is measured and returned with the latencies.
// Message in: { port, bodies: string[] (JSON), concurrency }.
// Message out: { timeline: [sentAtMs, latencyMs][], statuses, seconds, loopDelayMs: { p99, max } } or { error }.
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';

parentPort.on('message', async ({ port, bodies, concurrency }) => {
  // Fresh connections each round: a socket left idle between rounds may be closed by the
  // daemon just as it is reused ("socket hang up"); real clients connect anew anyway.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (data) =>
    new Promise((ok, fail) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/session/auth', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } },
        (res) => {
          res.resume();
          res.on('end', () => ok(res.statusCode ?? 0));
        },
      );
      req.on('error', fail);
      req.end(data);
    });
  try {
    const timeline = [];
    const statuses = {};
    let next = 0;
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const t0 = performance.now();
          const status = await post(body);
          timeline.push([t0 - started, performance.now() - t0]);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    loop.disable();
    parentPort.postMessage({ timeline, statuses, seconds, loopDelayMs: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 } });
  } catch (err) {
    parentPort.postMessage({ error: String(err?.stack ?? err) });
  } finally {
    agent.destroy();
  }
});
