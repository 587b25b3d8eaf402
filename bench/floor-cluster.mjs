// The floor (the yardstick's floor-server.mjs) in N node:cluster processes on one port, as
// `certmint serve --workers N` runs: what the machine itself loses per CPU-second by splitting
// the same work over processes (the primary's accept-and-hand-out, two event loops sharing the
// cores with the load generator), apart from anything certmint does.
// Usage: node floor-cluster.mjs FLOOR_SERVER_MJS N PORT CERT_DIR
import cluster from 'node:cluster';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [server, n, port, dir] = process.argv.slice(2);
if (!server || !n) {
  process.stderr.write('usage: node floor-cluster.mjs FLOOR_SERVER_MJS N PORT CERT_DIR\n');
  process.exit(2);
}
if (cluster.isPrimary) {
  // Round-robin hand-out by the primary, as node:cluster does by default on Linux (and certmint).
  for (let i = 0; i < Number(n); i++) cluster.fork();
  cluster.on('exit', (_w, code) => {
    process.exitCode = code ?? 1;
  });
  process.on('SIGINT', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
  });
} else {
  process.on('SIGINT', () => undefined);
  // floor-server.mjs reads PORT and CERT_DIR from argv[2], argv[3].
  process.argv = [process.argv[0], server, port, dir];
  await import(pathToFileURL(resolve(server)).href);
}
