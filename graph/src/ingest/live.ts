// Datasource: live `logsSubscribe` (mentions the program id, commitment
// confirmed) and `slotSubscribe` (chain head for the lag metric) over one
// websocket. It never decodes: it hands raw notifications over and says when a
// subscription is (re)established, so the pipeline can backfill the gap.
// Reconnects with backoff; a ping/pong watchdog catches silent dead sockets.
import WebSocket from 'ws';
import type { Logger } from 'pino';
import type { RawTransaction } from './decode.js';

export interface LiveHandlers {
  onTransaction(tx: RawTransaction): void;
  onSlot?(slot: number): void;
  /** The logs subscription is active; `reconnect` is false for the first one. */
  onSubscribed(reconnect: boolean): void;
  onDisconnected?(): void;
}

export interface LiveOptions {
  wsUrl: string;
  programId: string;
  commitment?: 'confirmed' | 'finalized';
  logger: Logger;
  /** Reconnect backoff bounds (ms). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Ping interval; the socket is dropped when a pong does not come back in time. */
  pingMs?: number;
}

export class LiveSource {
  private ws: WebSocket | null = null;
  private stopped = true;
  private everSubscribed = false;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private awaitingPong = false;
  private logsSubId: number | null = null;
  connected = false;
  reconnects = 0;
  notifications = 0;
  failedSkipped = 0;

  constructor(private readonly opts: LiveOptions, private readonly handlers: LiveHandlers) {
    this.backoff = opts.minBackoffMs ?? 200;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const log = this.opts.logger;
    const ws = new WebSocket(this.opts.wsUrl, { handshakeTimeout: 10_000 });
    this.ws = ws;
    let subscribedHere = false;

    ws.on('open', () => {
      log.debug({ url: this.opts.wsUrl }, 'websocket open');
      ws.send(JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'logsSubscribe',
        params: [{ mentions: [this.opts.programId] }, { commitment: this.opts.commitment ?? 'confirmed' }],
      }));
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'slotSubscribe', params: [] }));
      this.pingTimer = setInterval(() => {
        if (this.awaitingPong) {
          log.warn('websocket: no pong, dropping the connection');
          ws.terminate();
          return;
        }
        this.awaitingPong = true;
        try {
          ws.ping();
        } catch {
          // closing already
        }
      }, this.opts.pingMs ?? 10_000);
      this.pingTimer.unref();
    });
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    ws.on('message', (raw: WebSocket.RawData) => {
      let msg: {
        id?: number;
        result?: unknown;
        error?: { message: string };
        method?: string;
        params?: { subscription: number; result: unknown };
      };
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        return;
      }
      if (msg.id === 1) {
        if (msg.error) {
          log.error({ error: msg.error }, 'logsSubscribe refused');
          ws.close();
          return;
        }
        this.logsSubId = msg.result as number;
        this.connected = true;
        subscribedHere = true;
        this.backoff = this.opts.minBackoffMs ?? 200;
        const reconnect = this.everSubscribed;
        this.everSubscribed = true;
        if (reconnect) this.reconnects++;
        log.info({ reconnect }, 'logs subscription active');
        this.handlers.onSubscribed(reconnect);
        return;
      }
      if (msg.method === 'logsNotification' && msg.params) {
        const r = msg.params.result as {
          context: { slot: number };
          value: { signature: string; err: unknown; logs: string[] | null };
        };
        this.notifications++;
        if (r.value.err !== null && r.value.err !== undefined) {
          this.failedSkipped++;
          return;
        }
        this.handlers.onTransaction({ signature: r.value.signature, slot: r.context.slot, err: null, logs: r.value.logs });
        return;
      }
      if (msg.method === 'slotNotification' && msg.params) {
        const r = msg.params.result as { slot: number };
        this.handlers.onSlot?.(r.slot);
      }
    });
    const onGone = (why: string) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.logsSubId = null;
      this.awaitingPong = false;
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.pingTimer = null;
      if (this.connected || subscribedHere) this.handlers.onDisconnected?.();
      this.connected = false;
      if (this.stopped) return;
      log.warn({ why, retryInMs: this.backoff }, 'websocket lost, reconnecting');
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 5_000);
    };
    ws.on('close', (code: number) => onGone(`close ${code}`));
    ws.on('error', (err: Error) => {
      log.debug({ err: err.message }, 'websocket error');
      onGone(err.message);
      ws.terminate();
    });
  }

  /** Drops the current connection (it reconnects by itself): used by tests and the watchdog. */
  drop(): void {
    this.ws?.terminate();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
    const ws = this.ws;
    this.ws = null;
    this.connected = false;
    if (ws) {
      if (this.logsSubId !== null && ws.readyState === WebSocket.OPEN) {
        try {
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'logsUnsubscribe', params: [this.logsSubId] }));
        } catch {
          // closing anyway
        }
      }
      ws.terminate();
    }
  }
}
