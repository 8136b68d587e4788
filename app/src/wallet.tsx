// Wallets: wallet-standard wallets the browser offers (Phantom, Solflare, Backpack, ...), and on
// local and test clusters a dev wallet whose keypair lives in this browser's localStorage.
import { Keypair, PublicKey, Transaction } from '@solana/web3.js';
import { getWallets } from '@wallet-standard/app';
import type { Wallet as StdWallet, WalletAccount } from '@wallet-standard/base';
import { SolanaSignMessage, SolanaSignTransaction, type SolanaSignMessageFeature, type SolanaSignTransactionFeature } from '@solana/wallet-standard-features';
import { StandardConnect, type StandardConnectFeature } from '@wallet-standard/features';
import bs58 from 'bs58';
import nacl from 'tweetnacl';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { devWalletAllowed, type Cluster } from './config.js';

export interface AppWallet {
  kind: 'dev' | 'standard';
  label: string;
  publicKey: PublicKey;
  signTransaction(tx: Transaction): Promise<Transaction>;
  signMessage(message: Uint8Array): Promise<Uint8Array>;
  /** Dev wallet only: the secret key (for the export button). */
  secretKey?: Uint8Array;
}

const DEV_KEY = 'dvpn.devWallet.v1';

const REFUSED = 'the dev wallet is refused on mainnet: its key sits in the page';

/** The dev wallet, after the RPC's genesis hash (`connection.getGenesisHash()`) shows it is not mainnet. */
export function devWallet(cluster: Cluster, genesisHash: string): AppWallet {
  if (!devWalletAllowed(cluster, genesisHash)) throw new Error(REFUSED);
  let kp: Keypair;
  const saved = localStorage.getItem(DEV_KEY);
  if (saved) kp = Keypair.fromSecretKey(bs58.decode(saved));
  else {
    kp = Keypair.generate();
    localStorage.setItem(DEV_KEY, bs58.encode(kp.secretKey));
  }
  return {
    kind: 'dev',
    label: 'Dev wallet',
    publicKey: kp.publicKey,
    secretKey: kp.secretKey,
    async signTransaction(tx) {
      tx.partialSign(kp);
      return tx;
    },
    async signMessage(message) {
      return nacl.sign.detached(message, kp.secretKey);
    },
  };
}

/** Replaces the dev wallet's key: a Solana CLI keypair file's JSON array, or base58 of the 64-byte secret key. */
export function importDevWallet(cluster: Cluster, genesisHash: string, text: string): AppWallet {
  if (!devWalletAllowed(cluster, genesisHash)) throw new Error(REFUSED);
  const t = text.trim();
  let secret: Uint8Array;
  try {
    secret = t.startsWith('[') ? Uint8Array.from(JSON.parse(t) as number[]) : bs58.decode(t);
  } catch {
    throw new Error('not a keypair: paste the JSON array of a Solana CLI keypair file, or base58 of the secret key');
  }
  if (secret.length !== 64) throw new Error(`not a keypair: ${secret.length} bytes, expected 64`);
  const kp = Keypair.fromSecretKey(secret);
  localStorage.setItem(DEV_KEY, bs58.encode(kp.secretKey));
  return devWallet(cluster, genesisHash);
}

export function forgetDevWallet(): void {
  localStorage.removeItem(DEV_KEY);
}

const chainOf = (c: Cluster) => `solana:${c === 'mainnet-beta' ? 'mainnet' : c}` as const;

type Signer = StdWallet & { features: StandardConnectFeature & SolanaSignTransactionFeature & SolanaSignMessageFeature };
const canSign = (w: StdWallet): w is Signer => StandardConnect in w.features && SolanaSignTransaction in w.features && SolanaSignMessage in w.features;

/** Wallet-standard wallets that can sign transactions and messages. */
export function useStandardWallets(): Signer[] {
  const [list, setList] = useState<Signer[]>([]);
  useEffect(() => {
    const { get, on } = getWallets();
    const refresh = () => setList(get().filter(canSign));
    refresh();
    const offs = [on('register', refresh), on('unregister', refresh)];
    return () => offs.forEach((o) => o());
  }, []);
  return list;
}

export async function connectStandard(w: Signer, cluster: Cluster): Promise<AppWallet> {
  const { accounts } = await w.features[StandardConnect].connect();
  const account: WalletAccount | undefined = accounts.find((a) => a.chains.length === 0 || a.chains.includes(chainOf(cluster))) ?? accounts[0];
  if (!account) throw new Error(`${w.name} shared no account`);
  return {
    kind: 'standard',
    label: w.name,
    publicKey: new PublicKey(account.publicKey),
    async signTransaction(tx) {
      const bytes = tx.serialize({ requireAllSignatures: false, verifySignatures: false });
      const [out] = await w.features[SolanaSignTransaction].signTransaction({ account, transaction: bytes, chain: chainOf(cluster) });
      const signed = out.signedTransaction;
      // We send legacy transactions; a wallet answers with the same transaction signed.
      return Transaction.from(signed);
    },
    async signMessage(message) {
      const [out] = await w.features[SolanaSignMessage].signMessage({ account, message });
      return out.signature;
    },
  };
}

interface WalletState {
  wallet: AppWallet | null;
  setWallet(w: AppWallet | null): void;
}
const WalletContext = createContext<WalletState>({ wallet: null, setWallet: () => undefined });
export const useWallet = () => useContext(WalletContext);

export function WalletProvider({ children }: { children: ReactNode }) {
  const [wallet, setWallet] = useState<AppWallet | null>(null);
  return <WalletContext.Provider value={{ wallet, setWallet }}>{children}</WalletContext.Provider>;
}
