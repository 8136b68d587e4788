// Connect a wallet: wallet-standard wallets, or the dev wallet on local/test clusters.
import { LAMPORTS_PER_SOL } from '@solana/web3.js';
import { useCallback, useEffect, useState } from 'react';
import { useEnv } from './App.js';
import { devWalletAllowed } from './config.js';
import { sol, short } from './format.js';
import { connectStandard, devWallet, forgetDevWallet, importDevWallet, useStandardWallets, useWallet } from './wallet.js';

export function WalletBar() {
  const { config, connection } = useEnv();
  const { wallet, setWallet } = useWallet();
  const wallets = useStandardWallets();
  const [balance, setBalance] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [importing, setImporting] = useState(false);
  const [keyText, setKeyText] = useState('');
  const devOk = devWalletAllowed(config.cluster);

  const refresh = useCallback(async () => {
    if (!wallet) return setBalance(null);
    setBalance(await connection.getBalance(wallet.publicKey, 'confirmed'));
  }, [wallet, connection]);
  useEffect(() => {
    void refresh();
    if (!wallet) return;
    const id = connection.onAccountChange(wallet.publicKey, (a) => setBalance(a.lamports), { commitment: 'confirmed' });
    return () => void connection.removeAccountChangeListener(id);
  }, [wallet, connection, refresh]);

  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="wallet" aria-label="Wallet">
      {wallet ? (
        <>
          <span className={wallet.kind === 'dev' ? 'badge warn' : 'badge'}>{wallet.kind === 'dev' ? 'dev wallet — local/test clusters only' : wallet.label}</span>
          <span>
            <span className="muted">Address </span>
            <code data-testid="wallet-address" title={wallet.publicKey.toBase58()}>
              {short(wallet.publicKey.toBase58(), 6)}
            </code>
          </span>
          <span>
            <span className="muted">Balance </span>
            <span data-testid="wallet-balance">{balance === null ? '…' : sol(balance)}</span>
          </span>
          {wallet.kind === 'dev' && (
            <button disabled={busy} onClick={() => act(async () => {
              const sig = await connection.requestAirdrop(wallet.publicKey, 2 * LAMPORTS_PER_SOL);
              const bh = await connection.getLatestBlockhash();
              await connection.confirmTransaction({ signature: sig, ...bh }, 'confirmed');
              await refresh();
            })}>
              Airdrop 2 SOL
            </button>
          )}
          <button className="secondary" onClick={() => setWallet(null)}>
            Disconnect
          </button>
          {wallet.kind === 'dev' && (
            <button
              className="secondary"
              onClick={() => {
                if (confirm('Forget the dev wallet key in this browser? Funds on it are lost.')) {
                  forgetDevWallet();
                  setWallet(null);
                }
              }}
            >
              Forget key
            </button>
          )}
        </>
      ) : (
        <>
          <span className="muted">No wallet connected.</span>
          {wallets.map((w) => (
            <button key={w.name} disabled={busy} onClick={() => act(async () => setWallet(await connectStandard(w, config.cluster)))}>
              {w.icon && <img src={w.icon} alt="" width={16} height={16} />} Connect {w.name}
            </button>
          ))}
          {wallets.length === 0 && <span className="muted">No browser wallet found (wallet-standard).</span>}
          {devOk ? (
            <>
              <button onClick={() => act(async () => setWallet(devWallet(config.cluster, await connection.getGenesisHash())))}>Use dev wallet (local/test clusters only)</button>
              <button className="secondary" aria-expanded={importing} onClick={() => setImporting(!importing)}>
                Import a key into the dev wallet
              </button>
            </>
          ) : (
            <span className="muted">The dev wallet is disabled on mainnet.</span>
          )}
        </>
      )}
      {!wallet && importing && devOk && (
        <form
          className="import"
          onSubmit={(e) => {
            e.preventDefault();
            void act(async () => {
              setWallet(importDevWallet(config.cluster, await connection.getGenesisHash(), keyText));
              setKeyText('');
              setImporting(false);
            });
          }}
        >
          <label>
            Secret key (Solana CLI keypair JSON or base58) — kept in this browser only; never a key that holds real funds
            <textarea rows={3} value={keyText} onChange={(e) => setKeyText(e.target.value)} spellCheck={false} autoComplete="off" />
          </label>
          <button type="submit" disabled={!keyText.trim()}>Use this key</button>
        </form>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
