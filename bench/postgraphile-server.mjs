// PostGraphile 5 on a database of ours, for bench/postgraphile.ts (the
// yardstick our API is measured against). Plain JavaScript started with
// `node` (PostGraphile 5 needs Node >= 22), production mode: no GraphiQL, no
// explain. Relations come from smart comments the bench puts on the tables
// (Prisma's relationMode "prisma" creates no foreign keys).
//
//   DATABASE_URL=postgres://… PORT=… node bench/postgraphile-server.mjs
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { PostGraphileConnectionFilterPreset } from 'postgraphile-plugin-connection-filter';

const port = Number(process.env.PORT ?? 5678);
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'], poolConfig: { max: Number(process.env.DB_POOL ?? 10) } })],
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: { explain: false },
};
const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, '127.0.0.1', () => {
  console.log(`postgraphile listening on http://127.0.0.1:${port}/graphql`);
  process.send?.({ type: 'listening' });
});
const stop = () => {
  server.close();
  pgl.release().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
