// Shared by compose.mjs, consular-registry.mjs and gateway.mjs: the consular registry's
// subgraph SDL, local composition with @apollo/composition, and small helpers. Nothing here
// reaches the network.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { Kind, parse, visit } from 'graphql';

const here = dirname(fileURLToPath(import.meta.url));

/** ctex's subgraph SDL as checked in (`ctex schema` prints the same). */
export const CTEX_SDL_PATH = resolve(here, '../../schema.graphql');

/**
 * The consular registry: a second agency's subgraph that extends ctex's `Person` entity with
 * `passportStatus`. Its root field returns a bare `Person` reference, so a gateway must ask ctex
 * for every other `Person` field through `_entities`.
 */
export const CONSULAR_SDL = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

type Query {
  "The passport record of a person (a reference that ctex resolves through _entities)."
  passportHolder(personId: ID!): Person
}

type Person @key(fields: "id") {
  id: ID!
  "Passport status held by the consular registry."
  passportStatus: String
}
`;

/**
 * Composition hints that mean the subgraphs disagree about a type: a field, argument, input
 * field, enum value or union member typed or present differently. Any of these fails compose.mjs
 * (errors fail it anyway).
 */
export const TYPE_HINT_CODES = new Set([
  'INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE',
  'INCONSISTENT_BUT_COMPATIBLE_ARGUMENT_TYPE',
  'INCONSISTENT_DEFAULT_VALUE_PRESENCE',
  'INCONSISTENT_ENTITY',
  'INCONSISTENT_OBJECT_VALUE_TYPE_FIELD',
  'INCONSISTENT_INTERFACE_VALUE_TYPE_FIELD',
  'INCONSISTENT_INPUT_OBJECT_FIELD',
  'INCONSISTENT_UNION_MEMBER',
  'INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM',
  'INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM',
  'INCONSISTENT_ARGUMENT_PRESENCE',
  'INCONSISTENT_RUNTIME_TYPES_FOR_SHAREABLE_RETURN',
  'INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS',
]);

/** Names `@requiresScopes` goes by in a subgraph SDL (imported, or namespaced). */
const SCOPES_DIRECTIVES = new Set(['requiresScopes', 'federation__requiresScopes']);

/**
 * `doc` without its `@requiresScopes` rules (and without `@requiresScopes` in the `@link`
 * imports). For @apollo/gateway only: it refuses any supergraph that links the requiresScopes
 * spec (`for: SECURITY`), which only GraphOS Router can enforce. ctex enforces its policy on every
 * request either way; the gateway just does not pre-filter.
 */
export function withoutRequiresScopes(doc) {
  return visit(doc, {
    Directive(node) {
      return SCOPES_DIRECTIVES.has(node.name.value) ? null : undefined;
    },
    ListValue(node, _key, parent) {
      if (parent?.kind !== Kind.ARGUMENT || parent.name.value !== 'import') return undefined;
      return {
        ...node,
        values: node.values.filter((v) => !(v.kind === Kind.STRING && v.value === '@requiresScopes')),
      };
    },
  });
}

/**
 * Composes ctex (SDL read from `ctexSdlPath`) with the consular registry. Returns
 * `{ supergraphSdl, errors, hints, typeHints }`: `errors` are composition errors (then there is
 * no supergraph), `typeHints` the hints of `hints` whose code is in {@link TYPE_HINT_CODES}.
 * `withoutScopes` composes ctex's SDL after {@link withoutRequiresScopes} (for @apollo/gateway).
 */
export function composeCtex({
  ctexSdlPath = CTEX_SDL_PATH,
  ctexUrl = 'http://127.0.0.1:8080/graphql',
  consularUrl = 'http://127.0.0.1:4002/graphql',
  withoutScopes = false,
} = {}) {
  let ctexDoc;
  try {
    ctexDoc = parse(readFileSync(ctexSdlPath, 'utf8'));
  } catch (e) {
    return { supergraphSdl: undefined, errors: [new Error(`${ctexSdlPath}: ${e.message}`)], hints: [], typeHints: [] };
  }
  if (withoutScopes) ctexDoc = withoutRequiresScopes(ctexDoc);
  const result = composeServices([
    { name: 'ctex', url: ctexUrl, typeDefs: ctexDoc },
    { name: 'consular', url: consularUrl, typeDefs: parse(CONSULAR_SDL) },
  ]);
  const hints = result.hints ?? [];
  return {
    supergraphSdl: result.errors ? undefined : result.supergraphSdl,
    errors: result.errors ?? [],
    hints,
    typeHints: hints.filter((h) => TYPE_HINT_CODES.has(h.definition.code)),
  };
}

/** A composition error or hint as one line. */
export function describe(item) {
  const code = item.definition?.code ?? item.extensions?.code ?? 'ERROR';
  return `${code}: ${item.message}`;
}

/**
 * Parses `--name value` / `--name=value` flags into an object (`--ctex-url` → `ctexUrl`).
 * Unknown flags are an error, so a typo never silently falls back to a default.
 */
export function parseFlags(argv, known) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !known.includes(m[1])) {
      throw new Error(`unknown argument ${arg} (known: ${known.map((k) => `--${k}`).join(' ')})`);
    }
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    }
    out[m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = value;
  }
  return out;
}

/** A TCP port from a flag or environment value, or `fallback`. */
export function port(value, fallback) {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: ${value}`);
  return n;
}

/**
 * Only loopback URLs: the gateway must never be pointed at anything off this machine.
 */
export function loopbackUrl(value, what) {
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what}: not a URL: ${value}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'http:' || !(host === 'localhost' || host === '::1' || /^127\./.test(host))) {
    throw new Error(`${what} must be an http:// URL on loopback (127.0.0.1, localhost, [::1]): ${value}`);
  }
  return url.toString();
}

/**
 * Makes sure no Apollo cloud feature can switch on: telemetry off, no graph key or ref (so no
 * uplink, usage or schema reporting). Call before constructing a gateway or server.
 */
export function offline() {
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  for (const name of ['APOLLO_KEY', 'APOLLO_GRAPH_REF', 'APOLLO_GRAPH_ID', 'APOLLO_GRAPH_VARIANT', 'APOLLO_SCHEMA_REPORTING']) {
    delete process.env[name];
  }
}

/** Stops `server` on SIGTERM/SIGINT, then exits. */
export function stopOnSignals(stop) {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => {
      Promise.resolve(stop()).finally(() => process.exit(0));
    });
  }
}
