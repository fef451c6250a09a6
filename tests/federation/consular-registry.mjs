// The consular registry: a small second subgraph (@apollo/subgraph + @apollo/server) that extends
// ctex's `Person` entity (`@key(fields: "id")`) with `passportStatus`, computed from the id. It
// listens on 127.0.0.1 only and prints `consular registry listening on <url>` once ready.
//
//   node consular-registry.mjs [--port N]      (or CONSULAR_PORT; default 4002; 0 = any free port)

import { createHash } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { CONSULAR_SDL, offline, parseFlags, port, stopOnSignals } from './lib.mjs';

/** The statuses the registry hands out; which one a person gets depends only on their id. */
export const PASSPORT_STATUSES = ['VALID', 'EXPIRED', 'REPORTED_LOST', 'NOT_ISSUED'];

/** The passport status of person `id`: the first byte of SHA-256(id) modulo 4 picks one. */
export function passportStatus(id) {
  const byte = createHash('sha256').update(String(id)).digest()[0];
  return PASSPORT_STATUSES[byte % PASSPORT_STATUSES.length];
}

const USAGE = 'usage: node consular-registry.mjs [--port N]   (or CONSULAR_PORT; default 4002; 0 = any free port)';

let flags;
try {
  flags = parseFlags(process.argv.slice(2), ['port']);
} catch (e) {
  console.error(`consular registry: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

offline();

const resolvers = {
  Query: {
    passportHolder: (_, { personId }) => ({ __typename: 'Person', id: personId }),
  },
  Person: {
    __resolveReference: (ref) => ({ id: ref.id }),
    passportStatus: (person) => passportStatus(person.id),
  },
};

const server = new ApolloServer({
  schema: buildSubgraphSchema({ typeDefs: parse(CONSULAR_SDL), resolvers }),
  includeStacktraceInErrorResponses: false,
  plugins: [
    ApolloServerPluginInlineTraceDisabled(),
    ApolloServerPluginUsageReportingDisabled(),
    ApolloServerPluginSchemaReportingDisabled(),
    ApolloServerPluginLandingPageDisabled(),
  ],
});

const listenPort = port(flags.port ?? process.env.CONSULAR_PORT, 4002);
const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: listenPort } });
console.log(`consular registry listening on ${url}`);
stopOnSignals(() => server.stop());
