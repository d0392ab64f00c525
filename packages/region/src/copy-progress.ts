/**
 * How far this region's copy of its group's tables has come (a catching-up replica), for
 * its metrics: the bytes of the copy under way and what it will hold, its rate, and the
 * copies done since start. Pure state over an injected clock; CatchUp moves it.
 */
export class CopyProgress {
  /** The copy under way: bytes fetched of tables done and of the table being fetched. */
  private current: { startedAtMs: number; expectedBytes: number; doneBytes: number; tableBytes: number; table: string } | undefined;
  copiesTotal = 0;
  copiedBytesTotal = 0;
  /** Bytes a second of the last copy that finished (0 before one has). */
  lastRateBytesPerSecond = 0;

  constructor(private readonly nowMs: () => number = () => Date.now()) {}

  started(expectedBytes: number): void {
    this.current = { startedAtMs: this.nowMs(), expectedBytes, doneBytes: 0, tableBytes: 0, table: '' };
  }

  /** `bytes` of `table` fetched so far. */
  fetching(table: string, bytes: number): void {
    if (this.current) Object.assign(this.current, { table, tableBytes: bytes });
  }

  /** A table is fetched whole (`bytes`): counted in the copy, not in the table under way. */
  tableDone(bytes: number): void {
    if (!this.current) return;
    this.current.doneBytes += bytes;
    this.current.tableBytes = 0;
  }

  /** The copy ended: installed (`ok`) or given up (it will start over). */
  finished(ok: boolean): void {
    const copy = this.current;
    this.current = undefined;
    if (!copy || !ok) return;
    this.copiesTotal += 1;
    this.copiedBytesTotal += copy.doneBytes;
    const seconds = (this.nowMs() - copy.startedAtMs) / 1000;
    this.lastRateBytesPerSecond = seconds > 0 ? copy.doneBytes / seconds : 0;
  }

  /** The copy under way, if any: bytes so far, of how many, and its rate so far. */
  get underWay(): { table: string; bytes: number; expectedBytes: number; rateBytesPerSecond: number } | undefined {
    const copy = this.current;
    if (!copy) return undefined;
    const bytes = copy.doneBytes + copy.tableBytes;
    const seconds = (this.nowMs() - copy.startedAtMs) / 1000;
    return { table: copy.table, bytes, expectedBytes: copy.expectedBytes, rateBytesPerSecond: seconds > 0 ? bytes / seconds : 0 };
  }
}
