// Request bodies: JSON only, size-limited while streaming (a lying or missing
// Content-Length does not help), parsed, then validated by a zod schema.
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { HttpError, badRequest } from '../errors.js';

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > limit)) {
    throw new HttpError(413, 'body_too_large', `request body larger than ${limit} bytes`, undefined, { connection: 'close' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      throw new HttpError(413, 'body_too_large', `request body larger than ${limit} bytes`, undefined, { connection: 'close' });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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
