// A small HTTP client for tests: TCP or Unix socket, raw bodies allowed.
import { request } from 'node:http';

export interface Target {
  socketPath?: string;
  host?: string;
  port?: number;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export function http(
  target: Target,
  method: string,
  path: string,
  body?: unknown,
  opts: { raw?: string | Buffer; headers?: Record<string, string>; chunked?: boolean } = {},
): Promise<Answer> {
  const payload = opts.raw !== undefined ? opts.raw : body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
        method,
        path,
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(payload !== undefined && !opts.chunked ? { 'content-length': String(Buffer.byteLength(payload)) } : {}),
          ...(opts.headers ?? {}),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload !== undefined) {
      if (opts.chunked) {
        // Several chunks, no Content-Length: the server has to count.
        const buf = Buffer.from(payload);
        for (let i = 0; i < buf.length; i += 1024) req.write(buf.subarray(i, i + 1024));
      } else req.write(payload);
    }
    req.end();
  });
}
