// A TEST WALLET, for tests/app/app.test.ts only: a wallet-standard wallet registered in the page
// (the protocol of @wallet-standard/wallet's registerWallet: the register-wallet event, and
// again on the app's app-ready event), with the features the app needs: standard:connect,
// solana:signTransaction and solana:signMessage, signing with a real Ed25519 keypair through
// the browser's WebCrypto. The test generates the key and injects this script with
// addInitScript; nothing here is a real wallet's code or keeps a real key. It records what it
// was asked to do (window.__dvpnTestWallet.calls) so the test can check the app used it.
// Plain JavaScript: it runs in the page as written.
/* eslint-disable */
function registerTestWallet(opts) {
  // opts: { name, address (base58), publicKey (number[32]), jwk (Ed25519 private JWK), chains }
  const publicKey = Uint8Array.from(opts.publicKey);
  const calls = { connect: 0, signTransaction: 0, signMessage: 0 };
  const keyPromise = crypto.subtle.importKey('jwk', opts.jwk, { name: 'Ed25519' }, false, ['sign']);
  const sign = async (bytes) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, await keyPromise, bytes));
  const account = Object.freeze({
    address: opts.address,
    publicKey,
    chains: opts.chains,
    features: ['solana:signTransaction', 'solana:signMessage'],
    label: opts.name,
  });
  let connected = [];

  // Solana's compact-u16 (shortvec) length prefix: [value, bytes read].
  const shortvec = (b, o) => {
    let value = 0;
    for (let size = 0; ; size++) {
      const e = b[o + size];
      value |= (e & 0x7f) << (size * 7);
      if ((e & 0x80) === 0) return [value, size + 1];
    }
  };

  /** Signs a serialized (legacy or v0) transaction in place of its signature slot for our key. */
  async function signWire(tx) {
    const [sigCount, sigLen] = shortvec(tx, 0);
    const msgStart = sigLen + 64 * sigCount;
    const message = tx.slice(msgStart);
    let o = message[0] & 0x80 ? 1 : 0; // v0 messages start with a version byte
    const required = message[o];
    o += 3; // header: required signatures, read-only signed, read-only unsigned
    const [, keysLen] = shortvec(message, o);
    o += keysLen;
    for (let i = 0; i < Math.min(required, sigCount); i++) {
      const key = message.slice(o + 32 * i, o + 32 * i + 32);
      if (key.every((v, j) => v === publicKey[j])) {
        const out = tx.slice();
        out.set(await sign(message), sigLen + 64 * i);
        return out;
      }
    }
    throw new Error('test wallet: this transaction does not ask for its signature');
  }

  const wallet = {
    version: '1.0.0',
    name: opts.name,
    icon: 'data:image/svg+xml;base64,' + btoa('<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><rect width="16" height="16" fill="#c33"/></svg>'),
    chains: opts.chains,
    get accounts() {
      return connected;
    },
    features: {
      'standard:connect': {
        version: '1.0.0',
        connect: async () => {
          calls.connect++;
          connected = [account];
          return { accounts: connected };
        },
      },
      'standard:events': { version: '1.0.0', on: () => () => undefined },
      'solana:signTransaction': {
        version: '1.0.0',
        supportedTransactionVersions: ['legacy', 0],
        signTransaction: async (...inputs) => {
          const out = [];
          for (const input of inputs) {
            if (input.account.address !== opts.address) throw new Error('test wallet: unknown account');
            calls.signTransaction++;
            out.push({ signedTransaction: await signWire(input.transaction) });
          }
          return out;
        },
      },
      'solana:signMessage': {
        version: '1.0.0',
        signMessage: async (...inputs) => {
          const out = [];
          for (const input of inputs) {
            if (input.account.address !== opts.address) throw new Error('test wallet: unknown account');
            calls.signMessage++;
            out.push({ signedMessage: input.message, signature: await sign(input.message) });
          }
          return out;
        },
      },
    },
  };
  window.__dvpnTestWallet = { calls };

  const callback = ({ register }) => register(wallet);
  try {
    window.dispatchEvent(new CustomEvent('wallet-standard:register-wallet', { bubbles: false, cancelable: false, composed: false, detail: callback }));
  } catch (e) {
    console.error('test wallet: register-wallet event could not be dispatched', e);
  }
  window.addEventListener('wallet-standard:app-ready', ({ detail: api }) => callback(api));
}
