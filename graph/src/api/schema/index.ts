// The GraphQL schema: every entity file registers on the one builder, then
// the schema is built once. `printSchema(schema)` is the committed
// graph/schema.graphql (see codegen.ts and graph/test/api/schema.test.ts).
import { builder } from '../builder.js';
import './scalars.js';
import './provider.js';
import './node.js';
import './session.js';
import './claim.js';
import './dispute.js';
import './rating.js';
import './stake-change.js';
import './event.js';
import './stats.js';
import './config.js';
import './meta.js';
import './analytics.js';

export const schema = builder.toSchema();
