import './polyfills.js';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { loadConfig } from './config.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
loadConfig().then(
  (cfg) => root.render(<App config={cfg} />),
  (err: unknown) =>
    root.render(
      <main className="page">
        <h1>DVPN</h1>
        <p role="alert" className="error">
          {err instanceof Error ? err.message : String(err)}
        </p>
      </main>,
    ),
);
