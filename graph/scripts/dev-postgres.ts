import { startEmbeddedPostgres } from '../src/db/embedded.js';
const db = await startEmbeddedPostgres({ durable: false, onLog: (l) => process.env.PG_LOG && console.error(l) });
console.log(db.url);
process.on('SIGTERM', async () => { await db.stop(); process.exit(0); });
setInterval(() => {}, 1 << 30);
