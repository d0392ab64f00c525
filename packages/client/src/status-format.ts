/** The REPL's `status` command: the cluster map as aligned tables. Pure. */
import { underWayRows, type ClusterStatusResponse__Output } from '@minisql/common';
import { formatTable } from './result-format.js';

export function formatClusterStatus(status: ClusterStatusResponse__Output): string {
  const lines = [`Master: ${status.master_id}`, '', 'Regions:'];
  lines.push(
    ...formatTable(
      ['region', 'address', 'alive', 'group'],
      status.regions.map((r) => [r.region_id, r.grpc_address || '-', r.alive ? 'yes' : 'NO', r.group_id || '(spare)']),
    ),
  );
  lines.push('', 'Groups:');
  lines.push(
    ...formatTable(
      ['group', 'epoch', 'primary', 'in sync', 'catching up', 'tables'],
      status.groups.map((g) => [g.group_id, g.epoch, g.primary, g.in_sync.join(', ') || '-', g.catching_up.join(', ') || '-', g.tables.join(', ') || '-']),
    ),
  );
  const underWay = underWayRows(status);
  if (underWay.length > 0) lines.push('', 'Under way:', ...formatTable(['kind', 'what', 'progress'], underWay));
  lines.push('', `Tables: ${status.tables.length}`);
  return `${lines.join('\n')}\n`;
}
