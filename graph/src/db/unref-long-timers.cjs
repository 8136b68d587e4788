// Preloaded (node -r) into the Prisma CLI child by migrate.ts: the WebAssembly
// schema engine of Prisma 6.19 leaves a 10 s timer armed after `migrate
// deploy` finished, which kept the CLI alive for 10 s more. Long timers are
// unref'd so they no longer hold the process open (work still pending keeps it
// alive through its own sockets and promises).
'use strict';
const original = global.setTimeout;
global.setTimeout = function setTimeoutUnrefLong(fn, ms, ...args) {
  const t = original(fn, ms, ...args);
  if (typeof ms === 'number' && ms >= 5000 && t && typeof t.unref === 'function') t.unref();
  return t;
};
