// The analyst: market figures from the API's aggregates (stats, daily_volume,
// node_utilisation, provider_earnings), live (refetched on every session change),
// as charts or tables, each exportable as CSV; GraphiQL for anything else.
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useEnv } from '../App.js';
import { download, short, toCsv, units } from '../format.js';
import { AppMarketCapacityDocument, AppMarketDocument, AppMarketSessionsDocument, type AppMarketQuery } from '../generated/graphql.js';
import { useDebounced, useQuery, useSubscription } from '../gql.js';

type Stats = AppMarketQuery['stats'];
type Daily = AppMarketQuery['dailyVolume'][number];
type Util = AppMarketQuery['nodeUtilisation'][number];
type Earn = AppMarketQuery['providerEarnings'][number];

const num = (lamports: string, decimals: number) => Number(units(lamports, decimals).replace(/,/g, ''));

export function AnalystView() {
  const { config } = useEnv();
  const q = useQuery(AppMarketDocument, {});
  const refetch = useDebounced(q.refetch, 500);
  useSubscription(AppMarketSessionsDocument, {}, refetch, { onReconnect: refetch });
  useSubscription(AppMarketCapacityDocument, {}, refetch, { onReconnect: refetch });
  const [tables, setTables] = useState(false);
  // One currency per chart: SOL and USDC amounts never share an axis.
  const [cur, setCur] = useState<'SOL' | 'USDC'>('SOL');
  const d = q.data;
  const graphiql = config.graphiqlUrl ?? config.graphqlUrl;

  const dec = cur === 'SOL' ? 9 : 6;
  const isCur = (c: 'SOL' | 'TOKEN') => (c === 'SOL') === (cur === 'SOL');
  // Volume by day: paid out of escrow (gross) and escrow locked at open, summed over regions.
  const byDay = new Map<string, { day: string; paid: number; escrowed: number; refunded: number; sessions: number }>();
  for (const r of d?.dailyVolume ?? []) {
    if (!isCur(r.currency)) continue;
    const e = byDay.get(r.day) ?? { day: r.day, paid: 0, escrowed: 0, refunded: 0, sessions: 0 };
    e.paid += num(r.paidVolume, dec);
    e.escrowed += num(r.escrowVolume, dec);
    e.refunded += num(r.refundVolume, dec);
    e.sessions += Number(r.sessionsOpened);
    byDay.set(r.day, e);
  }
  const days = [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
  const regions = (d?.stats.byRegion ?? []).map((r) => ({ region: r.region, volume: num(cur === 'SOL' ? r.volumeLamports : r.volumeToken, dec), sessions: Number(r.sessions), active: Number(r.activeSessions) }));
  const util = (d?.nodeUtilisation ?? []).map((u) => ({ node: `${u.region} ${short(u.node)}`, utilisation: u.utilisation === null ? 0 : Math.round(Number(u.utilisation) * 100), active: Number(u.activeSessions), capacity: Number(u.maxCapacity) }));
  const earners = (d?.providerEarnings ?? []).filter((e) => isCur(e.currency)).map((e) => ({ provider: short(e.authority), earned: num(e.earnedAmount, dec), fees: num(e.feeAmount, dec), payments: Number(e.payments) }));
  const st = d?.stats;
  const currencies = st
    ? [
        { measure: 'paid out (gross)', amount: num(cur === 'SOL' ? st.volumeLamports : st.volumeToken, dec) },
        { measure: 'protocol fees', amount: num(cur === 'SOL' ? st.feesLamports : st.feesToken, dec) },
        { measure: 'locked in escrow', amount: num(cur === 'SOL' ? st.escrowLockedLamports : st.escrowLockedToken, dec) },
      ]
    : [];

  return (
    <>
      <h1>Market <span className="live">● live</span></h1>
      <p>
        Figures from the indexer's aggregates over GraphQL; amounts paid out of escrow (gross, fee included).{' '}
        <a href={graphiql} target="_blank" rel="noreferrer">Open GraphiQL for ad-hoc queries</a>
      </p>
      {q.error && <p role="alert" className="error">{q.error}</p>}
      {d && (
        <dl className="facts" data-testid="stats">
          <div><dt>Sessions</dt><dd data-stat="sessions">{d.stats.sessions}</dd></div>
          <div><dt>Active sessions</dt><dd data-stat="activeSessions">{d.stats.activeSessions}</dd></div>
          <div><dt>Nodes (active)</dt><dd data-stat="nodes">{d.stats.nodes} ({d.stats.activeNodes})</dd></div>
          <div><dt>Providers</dt><dd data-stat="providers">{d.stats.providers}</dd></div>
          <div><dt>Capacity free</dt><dd data-stat="freeCapacity">{d.stats.freeCapacity} / {d.stats.totalCapacity}</dd></div>
          <div><dt>Volume SOL</dt><dd data-stat="volumeLamports" data-raw={d.stats.volumeLamports}>{units(d.stats.volumeLamports, 9)} SOL</dd></div>
          <div><dt>Volume USDC</dt><dd data-stat="volumeToken" data-raw={d.stats.volumeToken}>{units(d.stats.volumeToken, 6)} USDC</dd></div>
          <div><dt>Fees SOL</dt><dd data-stat="feesLamports" data-raw={d.stats.feesLamports}>{units(d.stats.feesLamports, 9)} SOL</dd></div>
        </dl>
      )}
      <div className="actions">
        <label>
          Amounts in
          <select value={cur} onChange={(e) => setCur(e.target.value as 'SOL' | 'USDC')}>
            <option value="SOL">SOL</option>
            <option value="USDC">USDC</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={tables} onChange={(e) => setTables(e.target.checked)} /> Show tables instead of charts
        </label>
      </div>
      <Panel title={`Volume by day (${cur})`} rows={days} tables={tables} file={`volume-by-day-${cur}.csv`}>
        <BarChart data={days}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="day" />
          <YAxis width={90} />
          <Tooltip />
          <Legend />
          <Bar dataKey="paid" fill="#5b3cc4" isAnimationActive={false} />
          <Bar dataKey="escrowed" fill="#3d6fb6" isAnimationActive={false} />
          <Bar dataKey="refunded" fill="#b5541b" isAnimationActive={false} />
        </BarChart>
      </Panel>
      <Panel title={`Volume by region (${cur})`} rows={regions} tables={tables} file={`volume-by-region-${cur}.csv`}>
        <BarChart data={regions}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="region" />
          <YAxis width={90} />
          <Tooltip />
          <Bar dataKey="volume" fill="#5b3cc4" isAnimationActive={false} />
        </BarChart>
      </Panel>
      <Panel title={`Totals in ${cur}`} rows={currencies} tables={tables} file={`totals-${cur}.csv`}>
        <BarChart data={currencies}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="measure" />
          <YAxis width={90} />
          <Tooltip />
          <Bar dataKey="amount" fill="#1f7a4d" isAnimationActive={false} />
        </BarChart>
      </Panel>
      <Panel title="Active sessions by region" rows={regions.map(({ region, active, sessions }) => ({ region, active, sessions }))} tables={tables} file="sessions-by-region.csv">
        <BarChart data={regions}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="region" />
          <YAxis width={90} allowDecimals={false} />
          <Tooltip />
          <Legend />
          <Bar dataKey="active" fill="#3d6fb6" isAnimationActive={false} />
          <Bar dataKey="sessions" fill="#8a8f98" isAnimationActive={false} />
        </BarChart>
      </Panel>
      <Panel title="Node utilisation (%)" rows={util} tables={tables} file="node-utilisation.csv">
        <BarChart data={util}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="node" />
          <YAxis width={90} domain={[0, 100]} />
          <Tooltip />
          <Bar dataKey="utilisation" fill="#b5541b" isAnimationActive={false} />
        </BarChart>
      </Panel>
      <Panel title={`Provider earnings (${cur}, net of fees)`} rows={earners} tables={tables} file={`provider-earnings-${cur}.csv`}>
        <BarChart data={earners}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="provider" />
          <YAxis width={90} />
          <Tooltip />
          <Bar dataKey="earned" fill="#1f7a4d" isAnimationActive={false} />
        </BarChart>
      </Panel>
    </>
  );
}

function Panel({ title, rows, tables, file, children }: { title: string; rows: Record<string, unknown>[]; tables: boolean; file: string; children: React.ReactElement }) {
  const id = file.replace(/\W/g, '-');
  const cols = rows.length ? Object.keys(rows[0]) : [];
  return (
    <section aria-labelledby={id} className="card">
      <div className="panel-head">
        <h2 id={id}>{title}</h2>
        <button className="secondary" onClick={() => download(file, toCsv(rows), 'text/csv')} disabled={rows.length === 0} aria-label={`Export ${title} as CSV`}>
          CSV
        </button>
      </div>
      {rows.length === 0 ? (
        <p className="muted">No data yet.</p>
      ) : tables ? (
        <div className="table-wrap">
          <table>
            <thead><tr>{cols.map((c) => <th key={c} scope="col">{c}</th>)}</tr></thead>
            <tbody>{rows.map((r, i) => <tr key={i}>{cols.map((c) => <td key={c}>{String(r[c])}</td>)}</tr>)}</tbody>
          </table>
        </div>
      ) : (
        <div className="chart" role="img" aria-label={`${title} chart; switch to tables for the figures`}>
          <ResponsiveContainer width="100%" height={240}>{children}</ResponsiveContainer>
        </div>
      )}
    </section>
  );
}
