// Request bodies: JSON only, size-limited while streaming (a lying or missing
// Content-Length does not help), parsed, then validated by a zod schema.
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { HttpError, badRequest } from '../errors.js';

/**
 * The body, at most `limit` bytes. Past it: 413. The rest of an oversized body
 * is left to Node, which reads and discards it after the answer (bounded by the
 * server's requestTimeout), so the client reads its 413 instead of a reset.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, 'body_too_large', `request body larger than ${limit} bytes`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > limit)) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

export async function readJson<S extends z.ZodType>(req: IncomingMessage, limit: number, schema: S): Promise<z.infer<S>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json');
  }
  const raw = await readBody(req, limit);
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest('malformed_json', 'the request body is not valid JSON');
  }
  return validate(schema, value);
}

export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw badRequest('invalid_request', `invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, issues);
  }
  return parsed.data;
}
