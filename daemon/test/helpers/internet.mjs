// The "internet" side of the egress test, and the client's probes of it.
//   tcp-server HOST PORT   answers each connection with {"remote": <source address>} (also printed)
//   dns-server HOST        UDP DNS on HOST:53: every A question answered 198.18.0.7 (each query printed)
//   tcp-probe HOST PORT MS prints {"ok":true,"reply":...} or {"ok":false,"error":...}
//   lookup NAME MS         getaddrinfo (so /etc/resolv.conf decides the server): {"ok","address"|"error"}
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

const [mode, a, b, c] = process.argv.slice(2);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
process.on('SIGTERM', () => process.exit(0));

if (mode === 'tcp-server') {
  net
    .createServer((sock) => {
      const remote = sock.remoteAddress?.replace(/^::ffff:/, '');
      print({ event: 'tcp', remote });
      sock.on('error', () => undefined);
      sock.end(JSON.stringify({ remote }));
    })
    .listen(Number(b), a, () => print({ event: 'listening' }));
} else if (mode === 'dns-server') {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    // Question: labels from offset 12, then QTYPE, QCLASS.
    let i = 12;
    const labels = [];
    while (i < msg.length && msg[i] !== 0) {
      labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString());
      i += msg[i] + 1;
    }
    const qEnd = i + 5;
    const qtype = msg.readUInt16BE(i + 1);
    print({ event: 'dns', name: labels.join('.'), qtype, from: rinfo.address });
    const header = Buffer.from(msg.subarray(0, 12));
    header.writeUInt16BE(0x8180, 2); // response, recursion desired + available, no error
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(qtype === 1 ? 1 : 0, 6);
    header.writeUInt32BE(0, 8);
    const answer = qtype === 1 ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 7]) : Buffer.alloc(0);
    sock.send(Buffer.concat([header, msg.subarray(12, qEnd), answer]), rinfo.port, rinfo.address);
  });
  sock.bind(53, a, () => print({ event: 'listening' }));
} else if (mode === 'tcp-probe') {
  const sock = net.connect(Number(b), a);
  let reply = '';
  const done = (o) => {
    print(o);
    sock.destroy();
    process.exit(0);
  };
  sock.setTimeout(Number(c ?? 2000), () => done({ ok: false, error: 'timeout' }));
  sock.on('data', (d) => (reply += d.toString()));
  sock.on('end', () => done({ ok: true, reply: reply ? JSON.parse(reply) : null }));
  sock.on('error', (e) => done({ ok: false, error: e.code ?? e.message }));
} else if (mode === 'lookup') {
  setTimeout(() => {
    print({ ok: false, error: 'timeout' });
    process.exit(0);
  }, Number(b ?? 5000)).unref();
  dns.lookup(a, { family: 4 }, (err, address) => {
    print(err ? { ok: false, error: err.code ?? err.message } : { ok: true, address });
    process.exit(0);
  });
} else {
  process.stderr.write('usage: internet.mjs tcp-server HOST PORT | dns-server HOST | tcp-probe HOST PORT MS | lookup NAME MS\n');
  process.exit(2);
}
