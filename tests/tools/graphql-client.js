// A GraphQL subscriber with the graphql-ws client library over the `ws` WebSocket.
// Usage: node graphql-client.js '<plan as JSON>'
// plan: { url, token, query, variables, count?, untilType?, timeoutMs? }
// Prints one JSON line per message: {connected}, {next: result}, {error}, {done}.
// Stops after `count` results, or after a result holding an event of `untilType`.
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const plan = JSON.parse(process.argv[2]);
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const client = createClient({
  url: plan.url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: plan.token ? { authorization: `Bearer ${plan.token}` } : {},
  on: { connected: () => out({ connected: true }) },
});

let seen = 0;
let finished = false;
const timer = setTimeout(() => {
  out({ error: 'timeout' });
  process.exit(2);
}, plan.timeoutMs || 30000);

async function finish(code) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  out({ done: true });
  await client.dispose();
  process.exit(code);
}

client.subscribe(
  { query: plan.query, variables: plan.variables || {} },
  {
    next: (result) => {
      out({ next: result });
      seen += 1;
      const marker = plan.untilType && JSON.stringify(result).includes(`"type":"${plan.untilType}"`);
      if ((plan.count && seen >= plan.count) || marker) finish(0);
    },
    error: (e) => {
      const detail = Array.isArray(e) ? e : e && e.message ? e.message : String(e);
      out({ error: detail });
      finish(1);
    },
    complete: () => finish(0),
  },
);
