// Amounts are exact integers (base units) from the API and the chain; shown with their decimals.
export const LAMPORTS = 9;

export function units(value: string | bigint | number | null | undefined, decimals: number, maxFraction = decimals): string {
  if (value === null || value === undefined) return '—';
  const v = BigInt(value);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const base = 10n ** BigInt(decimals);
  const whole = abs / base;
  let frac = (abs % base).toString().padStart(decimals, '0').slice(0, maxFraction).replace(/0+$/, '');
  if (frac === '' && abs % base !== 0n) frac = '';
  return `${neg ? '-' : ''}${whole.toLocaleString('en-US')}${frac ? `.${frac}` : ''}`;
}

export const sol = (lamports: string | bigint | number | null | undefined) => `${units(lamports, LAMPORTS)} SOL`;
export const usdc = (v: string | bigint | number | null | undefined, decimals = 6) => `${units(v, decimals)} USDC`;
export const amount = (v: string | bigint | number | null | undefined, currency: 'SOL' | 'TOKEN', decimals = 6) =>
  currency === 'SOL' ? sol(v) : usdc(v, decimals);

/** Decimal text ("0.25") in a currency to base units; null when it is not a number. */
export function parseUnits(text: string, decimals: number): bigint | null {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  const [w, f = ''] = t.split('.');
  if (f.length > decimals) return null;
  return BigInt(w) * 10n ** BigInt(decimals) + BigInt(f.padEnd(decimals, '0') || '0');
}

export const short = (key: string | null | undefined, n = 4) => (key ? `${key.slice(0, n)}…${key.slice(-n)}` : '—');

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  // An out-of-range time (an i64 from the chain) would throw in toISOString and take the view down.
  if (Number.isNaN(d.getTime())) return '—';
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function duration(seconds: number | bigint | string): string {
  let s = Number(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [d && `${d} d`, h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean).join(' ') || '0 s';
}

/**
 * CSV with a header row; fields quoted when they need it. Text a spreadsheet would read as a
 * formula (a leading =, +, -, @, tab or CR: a node's region is any provider's string, e.g.
 * `=HYPERLINK(...)`) gets a leading apostrophe, so it opens as text; plain numbers stay numbers.
 */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]);
  const cell = (v: unknown) => {
    let s = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function download(filename: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The program's reputation score (0..2000, 1000 before any rating) as the 1..5 rating scale it averages. */
export const stars = (score: number) => `${(score / 500 + 1).toFixed(1)} / 5`;
