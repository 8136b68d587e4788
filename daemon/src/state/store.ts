// Crash-safe state: a snapshot (state.json, replaced atomically: write a temp
// file, fsync, rename, fsync the directory) plus an append-only journal
// (journal.jsonl) of whole-record writes. Every change is appended; flush()
// writes and fdatasyncs everything appended so far in one go (group commit),
// and callers await it before they answer a client or send a transaction.
// Loading applies the journal over the snapshot (entries carry a sequence
// number, so a journal that survived a compaction is harmless), stops at a
// torn last line, and compacts at once.
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { bigintReplacer, JournalEntrySchema, SnapshotSchema, type SessionRecord } from './types.js';

/** The state could not be written (disk full, I/O error, read-only): nothing that depends on it may be acknowledged. */
export class StateWriteError extends Error {
  constructor(readonly cause: NodeJS.ErrnoException) {
    super(`cannot write the daemon state: ${cause.code ?? 'I/O error'} (${cause.message})`);
    this.name = 'StateWriteError';
  }

  get code(): string {
    return this.cause.code ?? 'EIO';
  }
}

export interface StoreOptions {
  dir: string;
  compactEvery?: number;
  /** Finished (settled) sessions kept; older ones are dropped at compaction. */
  historyLimit?: number;
  log?: Logger;
  /** Unix seconds (for replay expiry). */
  now?: () => number;
}

export class StateStore {
  readonly sessions = new Map<string, SessionRecord>();
  private readonly replay = new Map<string, number>();
  private seq = 0;
  /** The last seq known to be on disk (journal or snapshot). */
  private durableSeq = 0;
  private journalEntries = 0;
  private buffer: string[] = [];
  /** Bytes of the journal known to hold whole lines; a failed append is cut back to this. */
  private journalSize = 0;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** Torn journal records skipped at load. */
  tornRecords = 0;

  private constructor(
    private readonly dir: string,
    private readonly fh: FileHandle,
    private readonly opts: Required<Omit<StoreOptions, 'log'>> & { log?: Logger },
  ) {}

  static async open(options: StoreOptions): Promise<StateStore> {
    const opts = {
      compactEvery: 5000,
      historyLimit: 1000,
      now: () => Math.floor(Date.now() / 1000),
      ...options,
    };
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    acquireLock(opts.dir);
    const fh = await open(join(opts.dir, 'journal.jsonl'), 'a+', 0o600);
    const store = new StateStore(opts.dir, fh, opts);
    await store.load();
    // At start with a full disk: the journal holds everything, so serve and compact later.
    await store.compact().catch((err) => opts.log?.warn({ err }, 'state compaction at start failed; the journal keeps everything'));
    return store;
  }

  private get snapshotPath() {
    return join(this.dir, 'state.json');
  }

  private async load(): Promise<void> {
    let snapSeq = 0;
    let text: string | null = null;
    try {
      text = await readFile(this.snapshotPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== null) {
      const snap = SnapshotSchema.parse(JSON.parse(text));
      snapSeq = snap.seq;
      this.seq = snap.seq;
      for (const s of snap.sessions) this.sessions.set(s.session, s);
      for (const [k, e] of Object.entries(snap.replay)) this.replay.set(k, e);
    }
    const journal = await readFile(join(this.dir, 'journal.jsonl'), 'utf8');
    // New records go after the last whole line (a torn tail is cut off, never glued to).
    const end = journal.lastIndexOf('\n') + 1;
    this.journalSize = Buffer.byteLength(journal.slice(0, end));
    if (end < journal.length) await this.fh.truncate(this.journalSize);
    const lines = journal.split('\n');
    let applied = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.trim() === '') continue;
      const entry = parseJournalLine(line);
      if (!entry) {
        // A record torn by a crash or a full disk was never acknowledged (flush() failed or never
        // returned), so skipping it loses nothing; whole records after it still apply.
        this.opts.log?.warn({ line: i + 1, last: i === lines.length - 1 || lines.slice(i + 1).every((l) => l.trim() === '') }, 'skipping a torn journal record');
        this.tornRecords++;
        continue;
      }
      if (entry.seq <= snapSeq) continue;
      this.seq = Math.max(this.seq, entry.seq);
      applied++;
      if (entry.t === 'session') this.sessions.set(entry.v.session, entry.v);
      else if (entry.t === 'delete') this.sessions.delete(entry.k);
      else this.replay.set(entry.k, entry.e);
    }
    this.durableSeq = this.seq;
    this.pruneReplay();
    this.opts.log?.info({ sessions: this.sessions.size, replay: this.replay.size, journalApplied: applied }, 'state loaded');
  }

  private append(entry: Record<string, unknown>): void {
    if (this.closed) throw new Error('state store is closed');
    this.seq += 1;
    this.buffer.push(`${JSON.stringify({ seq: this.seq, ...entry }, bigintReplacer)}\n`);
  }

  /** Records the current value of a session record (call flush() before relying on it). */
  put(record: SessionRecord): void {
    this.sessions.set(record.session, record);
    this.append({ t: 'session', v: record });
  }

  delete(session: string): void {
    if (!this.sessions.delete(session)) return;
    this.append({ t: 'delete', k: session });
  }

  /** Whether an auth message hash was seen (and not yet expired). */
  hasReplay(hash: string): boolean {
    const exp = this.replay.get(hash);
    return exp !== undefined && exp >= this.opts.now();
  }

  /** Marks an auth message hash as used until `expiresAt`; false when it already was (a replay). */
  addReplay(hash: string, expiresAt: number): boolean {
    if (this.hasReplay(hash)) return false;
    this.replay.set(hash, expiresAt);
    this.append({ t: 'replay', k: hash, e: expiresAt });
    return true;
  }

  get replaySize(): number {
    return this.replay.size;
  }

  pruneReplay(): void {
    const now = this.opts.now();
    for (const [k, e] of this.replay) if (e < now) this.replay.delete(k);
  }

  /**
   * Writes and syncs everything recorded so far. Concurrent callers share one write, and a
   * caller returns as soon as a write holding its records is synced: it does not also wait for
   * writes of records appended after its call (under an auth burst, admissions whose records
   * were on disk waited behind one fdatasync per later batch, a convoy that made the tail).
   */
  flush(): Promise<void> {
    const target = this.seq;
    const next = this.chain.then(() => (this.durableSeq >= target ? undefined : this.writeBuffered()));
    // Keep the chain alive after a failure; the caller still sees the error.
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async writeBuffered(): Promise<void> {
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    const upTo = this.seq;
    this.buffer = [];
    const data = lines.join('');
    try {
      await this.fh.appendFile(data);
      await this.fh.datasync();
    } catch (err) {
      // Keep the records for the next flush and cut off whatever part of them reached the
      // file, so the journal never holds a torn record between whole ones.
      this.buffer = [...lines, ...this.buffer];
      await this.fh.truncate(this.journalSize).catch(() => undefined);
      throw new StateWriteError(err as NodeJS.ErrnoException);
    }
    this.durableSeq = upTo;
    this.journalSize += Buffer.byteLength(data);
    this.journalEntries += lines.length;
    if (this.journalEntries >= this.opts.compactEvery) {
      // The records are on disk in the journal; a compaction that fails (no space) can wait.
      await this.compactNow().catch((err) => this.opts.log?.warn({ err }, 'state compaction failed; the journal keeps everything'));
    }
  }

  /** Rewrites the snapshot and empties the journal. */
  compact(): Promise<void> {
    const next = this.chain.then(async () => {
      await this.writeBuffered();
      await this.compactNow();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async compactNow(): Promise<void> {
    this.pruneReplay();
    this.pruneHistory();
    const snapshot = {
      version: 1,
      seq: this.seq,
      sessions: [...this.sessions.values()],
      replay: Object.fromEntries(this.replay),
    };
    const tmp = `${this.snapshotPath}.tmp-${process.pid}`;
    try {
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(JSON.stringify(snapshot, bigintReplacer));
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      // The journal still holds everything: compaction can wait for space.
      rmSync(tmp, { force: true });
      throw new StateWriteError(err as NodeJS.ErrnoException);
    }
    await rename(tmp, this.snapshotPath);
    const dirFh = await open(this.dir, 'r');
    try {
      await dirFh.sync();
    } finally {
      await dirFh.close();
    }
    // Entries already in the snapshot; a crash before this truncate only leaves duplicates (skipped by seq).
    await this.fh.truncate(0);
    await this.fh.datasync();
    this.journalSize = 0;
    this.journalEntries = 0;
  }

  private pruneHistory(): void {
    const settled = [...this.sessions.values()].filter((s) => s.phase === 'settled');
    const excess = settled.length - this.opts.historyLimit;
    if (excess <= 0) return;
    settled.sort((a, b) => (a.settledAt ?? 0) - (b.settledAt ?? 0));
    for (const s of settled.slice(0, excess)) this.sessions.delete(s.session);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.compact();
    this.closed = true;
    await this.fh.close();
    releaseLock(this.dir);
  }
}

/** A journal line as an entry; null when torn. A torn record followed, on the same line, by a whole one (appended after a failed write) yields the whole one. */
function parseJournalLine(line: string): ReturnType<typeof JournalEntrySchema.parse> | null {
  const attempt = (text: string) => {
    try {
      return JournalEntrySchema.parse(JSON.parse(text));
    } catch {
      return null;
    }
  };
  const whole = attempt(line);
  if (whole) return whole;
  const at = line.lastIndexOf('{"seq":');
  return at > 0 ? attempt(line.slice(at)) : null;
}

/**
 * One daemon per state directory: a lock file holding the owner's pid, created exclusively.
 * A dead owner's lock is taken over by moving it aside (a rename: of processes that all
 * judged it stale, one moves it) and checking that what was moved is the dead owner's: a
 * process that judged it stale late may have moved the new owner's fresh lock instead, and
 * puts it back. The lock appears with its pid in it (written aside, then linked: a lock
 * never exists empty, which another process would read as stale). Removing a stale lock
 * by path instead let two processes each remove the other's fresh lock and both run on
 * one journal. The lock names the boot it was taken in: after a reboot its pid may be an
 * unrelated live process, and the lock is stale all the same (it kept the daemon from
 * starting after a host crash).
 */
function acquireLock(dir: string): void {
  const path = join(dir, 'daemon.lock');
  const aside = `${path}.stale-${process.pid}`;
  const mine = `${path}.new-${process.pid}`;
  const boot = bootId();
  writeFileSync(mine, `${process.pid}${boot ? ` ${boot}` : ''}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        createLockFile(mine, path);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const owner = readLock(path);
      if (owner === undefined) continue; // removed meanwhile: try again
      const sameBoot = !owner.boot || !boot || owner.boot === boot;
      if (Number.isInteger(owner.pid) && owner.pid > 0 && owner.pid !== process.pid && sameBoot && isAlive(owner.pid)) {
        throw new Error(`state directory ${dir} is in use by process ${owner.pid}`);
      }
      try {
        renameSync(path, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process moved it first
        throw e;
      }
      const moved = readLock(aside);
      if (moved?.text !== owner.text) {
        // Not the lock judged stale: another process took it over first. Put its lock back.
        try {
          linkSync(aside, path);
        } catch {
          /* a third process holds the path now */
        }
      }
      rmSync(aside, { force: true });
    }
  } finally {
    rmSync(mine, { force: true });
  }
  throw new Error(`cannot lock state directory ${dir}`);
}

/** Creates `path` holding what `prepared` holds, failing with EEXIST when it exists (a hard link; an exclusive write where links are not supported). */
function createLockFile(prepared: string, path: string): void {
  try {
    linkSync(prepared, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    writeFileSync(path, readFileSync(prepared), { flag: 'wx', mode: 0o600 });
  }
}

/** A lock file: `<pid> [<boot id>]` (pid NaN when unreadable as one); undefined when the file is gone. */
function readLock(path: string): { text: string; pid: number; boot: string | null } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const [pid, boot] = text.split(/\s+/);
  return { text, pid: Number(pid), boot: boot ?? null };
}

/** This boot of the machine (Linux), null where there is no such file. */
function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

function releaseLock(dir: string): void {
  const path = join(dir, 'daemon.lock');
  try {
    if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
  } catch {
    /* already gone */
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
