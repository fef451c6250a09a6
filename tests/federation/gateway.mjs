// A federation gateway (@apollo/gateway + @apollo/server) in front of ctex and the consular
// registry, on 127.0.0.1 only. The supergraph is composed locally at start-up from ctex's SDL
// file and the consular registry's SDL (no Apollo Studio, no uplink, no introspection of the
// subgraphs); telemetry, usage and schema reporting are off. ctex's `@requiresScopes` rules are
// left out of that composition: @apollo/gateway refuses any supergraph linking the requiresScopes
// spec (`for: SECURITY`, enforced only by GraphOS Router), and ctex enforces its policy itself. The caller's `Authorization` and
// `X-Access-Purpose` headers are forwarded to ctex, and to ctex only. Prints
// `gateway listening on <url>` once ready.
//
//   APOLLO_TELEMETRY_DISABLED=true node gateway.mjs --ctex-url URL --consular-url URL [--port N] [--ctex-sdl FILE]
//   (or CTEX_URL, CONSULAR_URL, GATEWAY_PORT; default port 4000; 0 = any free port)

import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { composeCtex, describe, loopbackUrl, offline, parseFlags, port, stopOnSignals } from './lib.mjs';

const USAGE = `usage: node gateway.mjs --ctex-url URL --consular-url URL [--port N] [--ctex-sdl FILE]
  --ctex-url      ctex's GraphQL endpoint, e.g. http://127.0.0.1:8080/graphql (or CTEX_URL)
  --consular-url  the consular registry's endpoint, e.g. http://127.0.0.1:4002/ (or CONSULAR_URL)
  --port          where the gateway listens on 127.0.0.1 (or GATEWAY_PORT; default 4000; 0 = any)
  --ctex-sdl      ctex's subgraph SDL (default ../../schema.graphql)`;

/** The request headers forwarded to ctex (lower case, as Node gives them). */
const FORWARDED = ['authorization', 'x-access-purpose'];

function fail(message, code = 2) {
  console.error(`gateway: ${message}`);
  process.exit(code);
}

let flags;
try {
  flags = parseFlags(process.argv.slice(2), ['ctex-url', 'consular-url', 'port', 'ctex-sdl']);
} catch (e) {
  fail(`${e.message}\n${USAGE}`);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

// Before anything Apollo is constructed: the gateway's constructor starts an OpenTelemetry
// exporter to Apollo (with cloud metadata probes) unless APOLLO_TELEMETRY_DISABLED is true.
offline();

let ctexUrl;
let consularUrl;
let listenPort;
try {
  ctexUrl = loopbackUrl(flags.ctexUrl ?? process.env.CTEX_URL ?? fail(`--ctex-url is required\n${USAGE}`), 'ctex URL');
  consularUrl = loopbackUrl(flags.consularUrl ?? process.env.CONSULAR_URL ?? fail(`--consular-url is required\n${USAGE}`), 'consular registry URL');
  listenPort = port(flags.port ?? process.env.GATEWAY_PORT, 4000);
} catch (e) {
  fail(e.message);
}

const composed = composeCtex({ ctexSdlPath: flags.ctexSdl, ctexUrl, consularUrl, withoutScopes: true });
if (composed.errors.length > 0) {
  fail(`composition failed:\n${composed.errors.map((e) => `  ${describe(e)}`).join('\n')}`, 1);
}
for (const hint of composed.hints) console.error(`gateway: composition hint ${describe(hint)}`);

/** Sends ctex the caller's token and purpose; the consular registry gets neither. */
class CtexDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    for (const name of FORWARDED) {
      const value = context.headers?.[name];
      if (typeof value === 'string' && value !== '') request.http.headers.set(name, value);
    }
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: composed.supergraphSdl,
  buildService: ({ name, url }) =>
    name === 'ctex' ? new CtexDataSource({ url }) : new RemoteGraphQLDataSource({ url }),
});

const server = new ApolloServer({
  gateway,
  includeStacktraceInErrorResponses: false,
  plugins: [
    ApolloServerPluginUsageReportingDisabled(),
    ApolloServerPluginSchemaReportingDisabled(),
    ApolloServerPluginInlineTraceDisabled(),
    ApolloServerPluginLandingPageDisabled(),
  ],
});

const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: listenPort },
  context: async ({ req }) => ({
    headers: Object.fromEntries(FORWARDED.map((name) => [name, req.headers[name]])),
  }),
});
console.log(`gateway listening on ${url} (ctex ${ctexUrl}, consular registry ${consularUrl})`);
stopOnSignals(() => server.stop());
