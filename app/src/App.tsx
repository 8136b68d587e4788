import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import type { Connection } from '@solana/web3.js';
import { connectionFor } from './chain.js';
import type { AppConfig } from './config.js';
import { Gql, GqlContext } from './gql.js';
import { WalletBar } from './WalletBar.js';
import { WalletProvider } from './wallet.js';
import { UserView } from './views/User.js';
import { ProviderView } from './views/Provider.js';
import { AnalystView } from './views/Analyst.js';

interface Env {
  config: AppConfig;
  connection: Connection;
}
const EnvContext = createContext<Env | null>(null);
export function useEnv(): Env {
  const e = useContext(EnvContext);
  if (!e) throw new Error('no app environment');
  return e;
}

const VIEWS = [
  { id: 'user', label: 'Connect', component: UserView },
  { id: 'provider', label: 'Provider', component: ProviderView },
  { id: 'analyst', label: 'Market', component: AnalystView },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

function currentView(): ViewId {
  const id = location.hash.replace(/^#\/?/, '');
  return (VIEWS.find((v) => v.id === id)?.id ?? 'user') as ViewId;
}

export function App({ config }: { config: AppConfig }) {
  const gql = useMemo(() => new Gql(config.graphqlUrl, config.graphqlWsUrl, { persisted: config.persistedQueries ?? true }), [config]);
  const env = useMemo(() => ({ config, connection: connectionFor(config) }), [config]);
  const [view, setView] = useState<ViewId>(currentView);
  useEffect(() => {
    const on = () => setView(currentView());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const View = VIEWS.find((v) => v.id === view)!.component;
  return (
    <EnvContext.Provider value={env}>
      <GqlContext.Provider value={gql}>
        <WalletProvider>
          <a className="skip" href="#main">
            Skip to content
          </a>
          <header className="top">
            <span className="brand" aria-label="DVPN">
              DVPN
            </span>
            <nav aria-label="Views">
              {VIEWS.map((v) => (
                <a key={v.id} href={`#/${v.id}`} aria-current={v.id === view ? 'page' : undefined}>
                  {v.label}
                </a>
              ))}
            </nav>
            <span className="cluster" title="Cluster">
              {config.cluster}
            </span>
          </header>
          <WalletBar />
          <main id="main" className="page" tabIndex={-1}>
            <View />
          </main>
        </WalletProvider>
      </GqlContext.Provider>
    </EnvContext.Provider>
  );
}
