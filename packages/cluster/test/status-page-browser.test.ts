/**
 * The master's status page in a real headless browser (Debian's chromium): a replica
 * copying its group's tables is held in the middle of the copy (its primary, the FTP
 * server, stopped with SIGSTOP once the download began), and the page the browser renders
 * shows the copy under way with its progress; a screenshot of it is taken. The copy then
 * completes and the page shows nothing under way.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { ClusterClient } from '@minisql/client';
import { TestCluster } from './support/test-cluster.js';

const run = promisify(execFile);
const ROWS = 24;
const ROW_BYTES = 2 * 1024 * 1024;
/** Bound on one browser run, in milliseconds. */
const BROWSER_TIMEOUT_MS = 30_000;

let test: TestCluster;
let client: ClusterClient;

before(async () => {
  // The primary is held still for a few seconds: a long lease keeps it primary meanwhile.
  test = await TestCluster.start({ regions: 2, leaseTtlSeconds: 15 });
  await test.waitForStatus('group g1 with its replica in sync', (s) => s.groups[0]?.in_sync.length === 1);
  client = await test.client();
  await client.execute('create table blobs (id int primary key, body text);');
  for (let id = 0; id < ROWS; id++) await client.execute('insert into blobs values (?, ?);', { params: [id, 'b'.repeat(ROW_BYTES)] });
});

after(async () => {
  await test?.stop();
});

/** Runs headless chromium on the page; the status page has the cluster's own certificate. */
async function browser(url: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--ignore-certificate-errors', '--window-size=1280,1400', ...args, url],
    { timeout: BROWSER_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

describe('the status page in a headless browser', () => {
  it('shows a copy under way, with its progress, while a replica copies its group', async () => {
    const group = (await client.clusterStatus()).groups[0];
    const [primary, replica] = [group?.primary as string, group?.in_sync[0] as string];
    await test.cluster.kill(replica);
    await test.waitForStatus('the replica out of the set', (s) => s.groups[0]?.in_sync.length === 0);
    const pidOf = (name: string) => test.cluster.list().find((p) => p.name === name)?.pid;
    // Hold the copy still: once the replica starts to write what it downloads, its primary stops.
    let held = false;
    const incoming = join(test.config.dataDir, replica, 'incoming');
    mkdirSync(incoming, { recursive: true });
    const watcher = watch(incoming, (_event, file) => {
      const pid = pidOf(primary);
      if (held || pid === undefined || file === null) return;
      // Some megabytes in: the download is under way (not a leftover being cleared).
      const bytes = existsSync(join(incoming, file)) ? statSync(join(incoming, file)).size : 0;
      if (bytes < 4 * 1024 * 1024) return;
      process.kill(pid, 'SIGSTOP');
      held = true;
    });
    const status = test.config.hosts.find((h) => h.roles.includes('master'))?.ports.status as number;
    const url = `https://127.0.0.1:${status}/`;
    const shot = join(process.env.MINISQL_KEEP_TEST_LOGS ?? test.dir, 'status-page-mid-copy.png');
    try {
      await test.cluster.restart(replica);
      await test.waitFor('the copy to be held', async () => (held ? true : undefined));
      // The replica keeps beating while it waits for the stopped primary: its last beat says where the copy is.
      await test.waitFor('the status page to show the copy', async () => {
        const page = await test.statusPage('/');
        return page.body.includes(`${replica} copies group g1`) ? page : undefined;
      });
      const dom = await browser(url, '--dump-dom');
      assert.match(dom, /<h2>Under way<\/h2>/);
      assert.match(
        dom,
        new RegExp(`<td>copy</td><td>${replica} copies group g1's tables \\(now blobs\\)</td><td>\\d+%: [\\d.]+ MB of [\\d.]+ MB at [\\d.]+ MB/s</td>`),
      );
      await browser(url, `--screenshot=${shot}`);
      assert.ok(existsSync(shot), 'no screenshot');
      assert.deepEqual([...readFileSync(shot).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'the screenshot is not a PNG');
      assert.ok(statSync(shot).size > 10_000, 'the screenshot is nearly empty');
      console.log(`# screenshot of the status page mid-copy: ${shot}`);
    } finally {
      watcher.close();
      const pid = pidOf(primary);
      if (pid !== undefined) process.kill(pid, 'SIGCONT');
    }
    // Let go, the copy completes and nothing is under way any more.
    await test.waitForStatus('the replica back in the set', (s) => s.groups[0]?.in_sync.length === 1, 120_000);
    await test.waitFor('the page to show nothing under way', async () => {
      const page = await test.statusPage('/');
      return page.body.includes('<h2>Under way</h2><table><tr><th>kind</th><th>what</th><th>progress</th></tr><tr><td colspan="3">none</td></tr>')
        ? true
        : undefined;
    });
  });
});
