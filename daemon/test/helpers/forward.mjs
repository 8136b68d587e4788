// TCP -> Unix socket forwarder, run inside a network namespace so processes
// there reach a service of the test process (the embedded chain's RPC and
// websocket) without any route to the host's interfaces.
// Usage: node forward.mjs 127.0.0.1:8899=/tmp/x/rpc.sock [HOST:PORT=PATH ...]
import net from 'node:net';

const maps = process.argv.slice(2).map((arg) => {
  const [listen, path] = arg.split('=');
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i), port: Number(listen.slice(i + 1)), path };
});
let ready = 0;
for (const m of maps) {
  net
    .createServer((sock) => {
      const up = net.connect(m.path);
      const kill = () => {
        sock.destroy();
        up.destroy();
      };
      sock.pipe(up);
      up.pipe(sock);
      sock.on('error', kill);
      up.on('error', kill);
      sock.on('close', kill);
      up.on('close', kill);
    })
    .listen(m.port, m.host, () => {
      if (++ready === maps.length) process.stdout.write('ready\n');
    });
}
process.on('SIGTERM', () => process.exit(0));
