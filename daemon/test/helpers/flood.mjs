// Sends many requests at once from a process of its own (so that a busy
// daemon in the test process cannot slow the sender): reads
// {host, port, path, bodies} as JSON on stdin, POSTs every body on its own
// connection at the same moment, prints the status codes as JSON.
import { request } from 'node:http';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', async () => {
  const { host, port, path, bodies } = JSON.parse(input);
  const statuses = await Promise.all(
    bodies.map(
      (body) =>
        new Promise((resolve) => {
          const payload = JSON.stringify(body);
          const req = request(
            { host, port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode));
            },
          );
          req.on('error', (err) => resolve(`error:${err.code ?? err.message}`));
          req.end(payload);
        }),
    ),
  );
  process.stdout.write(JSON.stringify(statuses));
});
