// Node's Buffer for the SDK, web3.js and Anchor's coder, set before any of them is evaluated:
// this module is main.tsx's first import (imports run in order, before main's own body).
import { Buffer } from 'buffer';

(globalThis as unknown as { Buffer: typeof Buffer }).Buffer ??= Buffer;
