#!/usr/bin/env node
/**
 * minisql-cluster: the local cluster and helpers for the host scripts.
 *   up [--config F] [--no-repl] [-- REPL ARGS]   start the cluster (and the REPL); stop all on exit
 *   kill NAME | restart NAME | ps [--config F]   act on a running local cluster
 *   etcd-args [--config F]                      etcd's arguments for THIS_NAME (scripts/etcd.sh)
 *   certs [--config F] [--out DIR]              the cluster's authority and certificates
 *   init [--config F]                           etcd's authentication and the first admin
 *   backup --to DIR | restore --from DIR        every table as SQL, with a manifest
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ADMIN_PASSWORD_FILE,
  CLIENT_CERT_NAME,
  loadTlsIdentity,
  masterAddresses,
  secureCluster,
  certificatePlan,
  findHost,
  FIRST_ADMIN,
  loadClusterConfig,
  makeCertificates,
  MiniSqlError,
  hideIpServerNameWarning,
} from '@minisql/common';
import { sendControl, startControlServer } from './control-server.js';
import { etcdArguments } from './etcd-arguments.js';
import { ClusterClient } from '@minisql/client';
import { readFileSync } from 'node:fs';
import { backupCluster, restoreCluster } from './backup.js';
import { LocalCluster } from './local-cluster.js';

hideIpServerNameWarning();

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..', '..', '..');
const CLIENT_MAIN = join(ROOT, 'packages', 'client', 'dist', 'src', 'main.js');
const DEFAULT_CONFIG = join(ROOT, 'config', 'local.yaml');

const USAGE = `usage: minisql-cluster COMMAND [--config FILE]
  up [--no-repl] [-- REPL ARGS]  start every process of the configuration on this machine, then
                                 the REPL; everything stops when the REPL exits (or on Ctrl-C
                                 with --no-repl)
  kill NAME                      kill -9 one master or region of the running cluster
  restart NAME                   start it again (or stop and start it)
  ps                             list the processes of the running cluster
  etcd-args                      print etcd's arguments for host $THIS_NAME, one per line
  certs [--out DIR]              make the cluster's certificate authority and a certificate and
                                 key for every host and for clients, in DIR (default: the
                                 configuration's certsDir); what exists is kept
  init                           once etcd runs on every etcd host: turn etcd's authentication
                                 on (each host its own etcd user) and make the first admin
                                 user, its password in CERTSDIR/admin.password (mode 600)
  backup --to DIR                every table as SQL from its primary, each at one log position,
                                 with manifest.json (positions, rows, SHA-256); consistent table
                                 by table, not across tables
  restore --from DIR             a backup into a cluster that holds none of its tables
  --user NAME, --password-file F the login of backup and restore (default admin, and
                                 CERTSDIR/admin.password; $MINISQL_PASSWORD wins)
  --config FILE                  the configuration (default $MINISQL_CONFIG, else config/local.yaml)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      config: { type: 'string' },
      out: { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      'no-repl': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const configPath = values.config ?? process.env.MINISQL_CONFIG ?? DEFAULT_CONFIG;
  const config = loadClusterConfig(configPath);
  switch (command) {
    case 'up':
      return up(config, configPath, values['no-repl'] === true, rest);
    case 'kill':
    case 'restart': {
      const name = rest[0];
      if (!name) throw new Error(`${command} needs the name of a master or region`);
      await sendControl(config.dataDir, 'POST', `/${command}/${encodeURIComponent(name)}`);
      console.log(`${command === 'kill' ? 'killed' : 'restarted'} ${name}`);
      return 0;
    }
    case 'ps': {
      const processes = (await sendControl(config.dataDir, 'GET', '/processes')) as Array<{ name: string; role: string; pid?: number }>;
      for (const p of processes) console.log(`${p.name.padEnd(16)} ${p.role.padEnd(7)} ${p.pid ?? 'stopped'}`);
      return 0;
    }
    case 'etcd-args': {
      const host = findHost(config, process.env.THIS_NAME, 'etcd');
      console.log(etcdArguments(config, host, join(config.dataDir, 'etcd', host.name)).join('\n'));
      return 0;
    }
    case 'certs': {
      const made = makeCertificates(values.out ?? config.certsDir, certificatePlan(config));
      console.log(`certificates in ${made.dir}: made ${made.made.join(', ') || 'nothing'}${made.kept.length > 0 ? `; kept ${made.kept.join(', ')}` : ''}`);
      console.log('each host needs ca.crt and its own NAME.crt and NAME.key (mode 600) in its certsDir; clients need ca.crt, client.crt and client.key.');
      console.log('ca.key signs new certificates: keep it off the hosts.');
      return 0;
    }
    case 'backup':
    case 'restore': {
      const dir = command === 'backup' ? values.to : values.from;
      if (dir === undefined) throw new Error(`${command} needs ${command === 'backup' ? '--to DIR' : '--from DIR'}`);
      const client = await adminClient(config, values.user, values['password-file']);
      try {
        const say = (line: string) => console.error(`${command}: ${line}`);
        const manifest = command === 'backup' ? await backupCluster(client, dir, say) : await restoreCluster(client, dir, say);
        console.log(
          `${command === 'backup' ? 'backed up' : 'restored'} ${manifest.tables.length} table(s), ${manifest.tables.reduce((sum, t) => sum + t.rows, 0).toLocaleString('en')} rows; ${manifest.consistency}`,
        );
      } finally {
        client.close();
      }
      return 0;
    }
    case 'init': {
      const done = await secureCluster(config, config.certsDir);
      console.log(done.length > 0 ? done.join('\n') : 'the cluster was initialised before: nothing to do');
      return 0;
    }
    default:
      throw new Error(`unknown command ${command}\n${USAGE}`);
  }
}

/** A client of the configuration's masters, logged in (default: the first admin, whose password the cluster made). */
async function adminClient(
  config: ReturnType<typeof loadClusterConfig>,
  user = FIRST_ADMIN,
  passwordFile = join(config.certsDir, ADMIN_PASSWORD_FILE),
): Promise<ClusterClient> {
  if (!config.tls) return ClusterClient.connect({ masterAddresses: masterAddresses(config) });
  const password = process.env.MINISQL_PASSWORD ?? readFileSync(passwordFile, 'utf8').trim();
  return ClusterClient.connect({
    masterAddresses: masterAddresses(config),
    tls: loadTlsIdentity(config.certsDir, CLIENT_CERT_NAME),
    login: { user, password },
  });
}

function statusAddress(config: ReturnType<typeof loadClusterConfig>): string {
  const master = config.hosts.find((host) => host.roles.includes('master'));
  return master ? `${master.ip}:${master.ports.status}` : '(no master)';
}

async function up(config: ReturnType<typeof loadClusterConfig>, configPath: string, noRepl: boolean, replArgs: string[]): Promise<number> {
  const started = Date.now();
  // Progress goes to the terminal while starting; afterwards the REPL owns it.
  let announce = true;
  const cluster = new LocalCluster({ config, configPath, onProgress: (line) => announce && console.error(`cluster: ${line}`) });
  console.error(`cluster: starting from ${configPath} (logs in ${join(config.dataDir, 'logs')})`);
  await cluster.start();
  const control = await startControlServer(cluster, config.dataDir);
  console.error(
    `cluster: up in ${((Date.now() - started) / 1000).toFixed(1)} s; status page ${config.tls ? 'https' : 'http'}://${statusAddress(config)}/ (trust ${join(config.certsDir, 'ca.crt')}); kill a region with: scripts/cluster.sh kill region1`,
  );
  announce = noRepl;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      console.error('cluster: stopping');
      await control.close();
      await cluster.stop();
    })());
  process.on('SIGTERM', () => void stop().then(() => process.exit(0)));
  if (noRepl) {
    process.on('SIGINT', () => void stop().then(() => process.exit(0)));
    return new Promise<number>(() => undefined);
  }
  // The REPL owns the terminal; Ctrl-C belongs to it, not to the launcher.
  process.on('SIGINT', () => undefined);
  // The REPL logs in as the first admin, made with the cluster.
  const login = config.tls ? ['--user', FIRST_ADMIN, '--password-file', join(config.certsDir, ADMIN_PASSWORD_FILE)] : [];
  const repl = spawn(process.execPath, [CLIENT_MAIN, '--config', configPath, ...login, ...replArgs], { stdio: 'inherit' });
  const code = await new Promise<number>((resolve) => repl.on('exit', (status) => resolve(status ?? 1)));
  await stop();
  // Connections to the stopped processes may keep timers alive: end here, with the REPL's status.
  process.exit(code);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof MiniSqlError ? `${error.code}: ${error.message}` : (error as Error).message;
    console.error(`minisql-cluster: ${message}`);
    process.exitCode = 2;
  },
);
