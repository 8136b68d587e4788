// TCP transfer of a known size: `sink HOST PORT` counts and hashes what one
// client sends and answers the count; `source HOST PORT BYTES` sends random
// bytes and prints both sides' figures as JSON.
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

const [mode, host, portText, sizeText] = process.argv.slice(2);
const port = Number(portText);
if (mode === 'sink') {
  const server = net.createServer((sock) => {
    const h = createHash('sha256');
    let bytes = 0;
    sock.on('data', (d) => {
      bytes += d.length;
      h.update(d);
    });
    sock.on('end', () => {
      const result = JSON.stringify({ bytes, sha256: h.digest('hex') });
      sock.end(result);
      process.stdout.write(`${result}\n`);
      server.close();
    });
  });
  server.listen(port, host, () => process.stdout.write('listening\n'));
} else if (mode === 'source') {
  const data = randomBytes(Number(sizeText));
  const sha256 = createHash('sha256').update(data).digest('hex');
  const sock = net.connect(port, host, () => sock.end(data));
  let reply = '';
  sock.on('data', (d) => (reply += d.toString()));
  sock.on('close', () => process.stdout.write(`${JSON.stringify({ sent: data.length, sha256, sink: reply ? JSON.parse(reply) : null })}\n`));
  sock.on('error', (e) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
  sock.setTimeout(20_000, () => {
    process.stderr.write('timeout\n');
    process.exit(1);
  });
} else {
  process.stderr.write('usage: netcheck.mjs sink HOST PORT | source HOST PORT BYTES\n');
  process.exit(2);
}
