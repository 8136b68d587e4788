// One client flooding a path from a process of its own: `sockets` keep-alive
// connections from `localAddress`, each with `depth` pipelined GETs always in
// flight, for `seconds`; prints {"answers", "statuses"} as JSON.
import net from 'node:net';

const [host, port, path, seconds, sockets, depth, localAddress] = process.argv.slice(2);
const until = Date.now() + Number(seconds) * 1000;
const statuses = {};
let answers = 0;
const req = `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;
await Promise.all(
  Array.from(
    { length: Number(sockets) },
    () =>
      new Promise((resolve) => {
        const s = net.connect({ host, port: Number(port), localAddress });
        let buf = '';
        let pending = 0;
        const fill = () => {
          while (pending < Number(depth) && Date.now() < until) {
            s.write(req);
            pending++;
          }
          if (pending === 0) s.end();
        };
        s.on('connect', fill);
        s.on('data', (d) => {
          buf += d.toString('latin1');
          for (let i = buf.indexOf('HTTP/1.1 '); i >= 0; i = buf.indexOf('HTTP/1.1 ')) {
            const code = buf.slice(i + 9, i + 12);
            statuses[code] = (statuses[code] ?? 0) + 1;
            answers++;
            pending--;
            buf = buf.slice(i + 12);
          }
          fill();
        });
        s.on('error', () => resolve());
        s.on('close', () => resolve());
      }),
  ),
);
process.stdout.write(`${JSON.stringify({ answers, statuses })}\n`);
