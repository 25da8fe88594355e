import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cronProblem } from '../api/cron';

describe('cron expressions', () => {
  test('valid expressions pass', () => {
    for (const cron of ['* * * * *', '*/5 * * * *', '0 9-17 * * mon-fri', '15,45 0 1 jan,jul *', '0 0 * * 7', '@daily', '@every 90s', '0 0 ? * SUN']) {
      assert.equal(cronProblem(cron), null, cron);
    }
  });

  test('6 fields add a year, 7 put seconds first; @every takes a duration and an offset', () => {
    assert.equal(cronProblem('0 2 * * * 2027'), null);
    assert.equal(cronProblem('*/5 * * * * * *'), null);
    assert.equal(cronProblem('@every 2s'), null);
    assert.equal(cronProblem('@every 1h/15m'), null);
    assert.equal(cronProblem('0 2 * * * 1800'), 'year field "1800": 1800 is outside 1970-2999');
    assert.equal(cronProblem('60 * * * * * *'), 'second field "60": 60 is outside 0-59');
    assert.match(cronProblem('@every soon') ?? '', /@every takes a duration/);
    assert.equal(cronProblem('@fortnightly'), 'unknown shortcut @fortnightly');
  });

  test('a bad expression names the field and the problem', () => {
    assert.equal(cronProblem('61 * * * *'), 'minute field "61": 61 is outside 0-59');
    assert.equal(cronProblem('* 24 * * *'), 'hour field "24": 24 is outside 0-23');
    assert.equal(cronProblem('* * 0 * *'), 'day of month field "0": 0 is outside 1-31');
    assert.equal(cronProblem('* * * foo *'), 'month field "foo": "foo" is not a number or a name');
    assert.equal(cronProblem('*/0 * * * *'), 'minute field "*/0": step "0" is not a positive integer');
    assert.equal(cronProblem('5-1 * * * *'), 'minute field "5-1": range 5-1 runs backwards');
    assert.match(cronProblem('* * * *') ?? '', /expected 5 fields/);
    assert.match(cronProblem('') ?? '', /expected 5 fields/);
  });
});
