/**
 * The outcome of `verify`: each table's copies on the members of its group, compared at
 * one log position. Pure: decoding the answer, judging it and printing it.
 */
import { MiniSqlError, errors, type VerifyResponse__Output } from '@minisql/common';

export interface MemberCopy {
  region: string;
  role: string;
  position: number;
  rows: number;
  checksum: string;
  /** Set when the member could not be asked. */
  error?: MiniSqlError;
}

export interface TableVerification {
  table: string;
  group: string;
  epoch: number;
  members: MemberCopy[];
  /** Replicas still copying the table, not compared. */
  catchingUp: string[];
}

export function verificationFromProto(response: VerifyResponse__Output): TableVerification {
  return {
    table: response.table,
    group: response.group_id,
    epoch: response.epoch,
    members: response.members.map((m) => ({
      region: m.region_id,
      role: m.role,
      position: m.position,
      rows: m.rows,
      checksum: m.checksum,
      ...(m.error && m.error.code !== '' ? { error: MiniSqlError.fromProto(m.error) } : {}),
    })),
    catchingUp: response.catching_up,
  };
}

/** How one member's copy compares with the primary's (the first member). */
export function memberVerdict(verification: TableVerification, member: MemberCopy): 'equal' | 'differs' | 'not compared' {
  const reference = verification.members[0];
  if (member.error || !reference || reference.error) return 'not compared';
  return member.position === reference.position && member.rows === reference.rows && member.checksum === reference.checksum ? 'equal' : 'differs';
}

/** The REPLICA_DIVERGED error that names every copy that differs, or undefined when none does. */
export function divergence(verifications: readonly TableVerification[]): MiniSqlError | undefined {
  const differing = verifications.flatMap((v) => v.members.filter((m) => memberVerdict(v, m) === 'differs').map((m) => `\`${v.table}\` on ${m.region}`));
  if (differing.length === 0) return undefined;
  return errors.replicaDiverged(differing.join(', '), "its rows differ from the primary's at the same log position; the copy must be made afresh");
}

/** One line per member: table, group, member, position, rows, checksum, verdict. */
export function formatVerification(verifications: readonly TableVerification[]): string {
  if (verifications.length === 0) return 'no tables to verify';
  const header = ['table', 'group', 'member', 'role', 'position', 'rows', 'checksum', 'verdict'];
  const rows = verifications.flatMap((v) => [
    ...v.members.map((m) => [
      v.table,
      `${v.group} (epoch ${v.epoch})`,
      m.region,
      m.role,
      m.error ? '-' : String(m.position),
      m.error ? '-' : String(m.rows),
      m.error ? '-' : m.checksum,
      m.error ? `not compared: ${m.error.code}` : memberVerdict(v, m),
    ]),
    ...v.catchingUp.map((region) => [v.table, `${v.group} (epoch ${v.epoch})`, region, 'replica', '-', '-', '-', 'catching up, not compared']),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  const differing = verifications.reduce((n, v) => n + v.members.filter((m) => memberVerdict(v, m) === 'differs').length, 0);
  const summary =
    differing === 0 ? `${verifications.length} table(s) verified: every compared copy is equal` : `${differing} copy(ies) DIFFER from their primary`;
  return [line(header), ...rows.map(line), summary].join('\n');
}
