import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { withVerification } from '../src/db/db-verification.js';
import type { HistoryVerdict } from '../src/history/history-check.js';

const verdict = (valid: HistoryVerdict['valid']): HistoryVerdict => ({
  valid,
  summary: 'linearizable',
  resultsEdn: `{:valid? ${valid === 'unknown' ? ':unknown' : String(valid)}, :configs []}`,
  highlight: [],
});

describe("the database's verification joins the verdict", () => {
  it('copies that differ make a linearizable history invalid, and the results say why', () => {
    const joined = withVerification(verdict(true), { equal: false, summary: "this member's copy differs" });
    assert.equal(joined.valid, false);
    assert.match(joined.resultsEdn, /^\{:valid\? false, :configs \[\], :verify \{:equal\? false, :summary "this member's copy differs"\}\}$/);
    assert.match(joined.summary, /verify: this member's copy differs$/);
  });

  it('equal copies keep the verdict of the history, valid or not', () => {
    assert.equal(withVerification(verdict(true), { equal: true, summary: 'equal' }).valid, true);
    assert.equal(withVerification(verdict(false), { equal: true, summary: 'equal' }).valid, false);
  });

  it('a verification that could not run leaves a valid history unknown, and an invalid one invalid', () => {
    assert.equal(withVerification(verdict(true), { equal: 'unknown', summary: 'no master' }).valid, 'unknown');
    assert.equal(withVerification(verdict(false), { equal: 'unknown', summary: 'no master' }).valid, false);
    assert.match(withVerification(verdict(true), { equal: 'unknown', summary: 'no master' }).resultsEdn, /:verify \{:equal\? :unknown/);
  });

  it('a database without a verification leaves the verdict as it is', () => {
    const original = verdict(true);
    assert.equal(withVerification(original, undefined), original);
  });
});
