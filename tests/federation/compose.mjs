// Composes ctex's subgraph SDL (../../schema.graphql) with the consular registry's, locally with
// @apollo/composition, and prints the supergraph SDL on stdout. Hints go to stderr. Exits 1 on
// any composition error or on any hint that signals a type disagreement between the subgraphs
// (lib.mjs TYPE_HINT_CODES); exits 2 on bad arguments.
//
// `--for gateway` composes without ctex's `@requiresScopes` rules: @apollo/gateway refuses a
// supergraph that links the requiresScopes spec (a `for: SECURITY` feature only GraphOS Router
// enforces). The default (`--for router`) keeps them.
//
//   node compose.mjs [--ctex-sdl FILE] [--ctex-url URL] [--consular-url URL] [--for router|gateway] [--out FILE]

import { writeFileSync } from 'node:fs';
import { CTEX_SDL_PATH, composeCtex, describe, parseFlags } from './lib.mjs';

const USAGE = `usage: node compose.mjs [--ctex-sdl FILE] [--ctex-url URL] [--consular-url URL] [--for router|gateway] [--out FILE]
  --ctex-sdl      ctex's subgraph SDL (default ${CTEX_SDL_PATH})
  --ctex-url      ctex's URL recorded in the supergraph (default http://127.0.0.1:8080/graphql)
  --consular-url  the consular registry's URL (default http://127.0.0.1:4002/graphql)
  --for           router (default): keep the @requiresScopes rules; gateway: drop them, as
                  @apollo/gateway cannot enforce them and refuses a supergraph that has them
  --out           write the supergraph to FILE instead of stdout`;

let flags;
try {
  flags = parseFlags(process.argv.slice(2), ['ctex-sdl', 'ctex-url', 'consular-url', 'for', 'out']);
  if (flags.for !== undefined && !['router', 'gateway'].includes(flags.for)) {
    throw new Error(`--for must be router or gateway, not ${flags.for}`);
  }
} catch (e) {
  console.error(`compose: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const { supergraphSdl, errors, hints, typeHints } = composeCtex({
  ctexSdlPath: flags.ctexSdl,
  ctexUrl: flags.ctexUrl,
  consularUrl: flags.consularUrl,
  withoutScopes: flags.for === 'gateway',
});

for (const hint of hints) {
  console.error(`compose: hint ${hint.definition.level.name} ${describe(hint)}`);
}
if (errors.length > 0) {
  console.error(`compose: ${errors.length} composition error(s):`);
  for (const error of errors) console.error(`  ${describe(error)}`);
  process.exit(1);
}
if (typeHints.length > 0) {
  console.error(`compose: ${typeHints.length} hint(s) signal a type disagreement between subgraphs:`);
  for (const hint of typeHints) console.error(`  ${describe(hint)}`);
  process.exit(1);
}

if (flags.out) {
  writeFileSync(flags.out, supergraphSdl);
  console.error(`compose: supergraph written to ${flags.out} (${supergraphSdl.length} bytes, ${hints.length} hint(s))`);
} else {
  process.stdout.write(supergraphSdl.endsWith('\n') ? supergraphSdl : `${supergraphSdl}\n`);
  console.error(`compose: ok (${hints.length} hint(s))`);
}
