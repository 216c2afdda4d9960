import { describe, expect, it } from 'vitest';
import { CsvParser, parseCsv } from '../../models/data/csv.js';
import { DataFormatError, DataNotFoundError } from '../../models/data/errors.js';
import { REPO_ROOT, sharedDataDir, sharedDataFile } from '../../models/data/paths.js';
import { dayNumber, rfmSummary } from '../../models/data/rfm.js';
import { join, resolve } from 'node:path';

describe('CSV parser', () => {
  it('handles quoted commas, doubled quotes, newlines in quotes, CRLF and a missing final newline', () => {
    // Prepare
    const text = 'a,b,c\r\n1,"x, y",""\r\n2,"say ""hi""","two\nlines"\n\n3,,last';
    // Act
    const rows = parseCsv(text);
    // Assess
    expect(rows).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', ''],
      ['2', 'say "hi"', 'two\nlines'],
      ['3', '', 'last'],
    ]);
  });

  it('gives the same records whatever the chunk boundaries (every split point of a tricky text)', () => {
    // Prepare
    const text = 'id,desc\r\n1,"A ""B"", C"\r\n2,"x\r\ny"\n3,plain\n';
    const expected = parseCsv(text);
    for (let i = 0; i <= text.length; i++) {
      for (const j of [i, Math.min(text.length, i + 1), Math.min(text.length, i + 3)]) {
        const parser = new CsvParser();
        const out: string[][] = [];
        const push = (r: string[]): void => {
          out.push(r);
        };
        // Act
        parser.push(text.slice(0, i), push);
        parser.push(text.slice(i, j), push);
        parser.push(text.slice(j), push);
        parser.end(push);
        // Assess
        expect(out, `split at ${i}/${j}`).toEqual(expected);
      }
    }
    expect(expected).toEqual([
      ['id', 'desc'],
      ['1', 'A "B", C'],
      ['2', 'x\r\ny'],
      ['3', 'plain'],
    ]);
  });

  it('rejects an unterminated quote', () => {
    expect(() => parseCsv('a,"open\n')).toThrow(DataFormatError);
  });
});

describe('shared data paths', () => {
  it('uses WINBACK_SHARED_DATA when set, else <repo>/../shared/data', () => {
    // Act / Assess
    expect(sharedDataDir({ WINBACK_SHARED_DATA: '/tmp/somewhere' })).toBe('/tmp/somewhere');
    expect(sharedDataDir({})).toBe(resolve(REPO_ROOT, '..', 'shared', 'data'));
    expect(join(REPO_ROOT, 'models', 'data', 'paths.ts')).toMatch(/models\/data\/paths\.ts$/);
  });

  it('names the missing file', () => {
    expect(() => sharedDataFile('cdnow/nope.txt', { WINBACK_SHARED_DATA: '/nonexistent' })).toThrow(DataNotFoundError);
    expect(() => sharedDataFile('cdnow/nope.txt', { WINBACK_SHARED_DATA: '/nonexistent' })).toThrow(/nonexistent/);
  });
});

describe('rfmSummary', () => {
  it('merges same-day purchases, counts repeat days, measures T to the calibration end day and fills the holdout', () => {
    // Prepare
    const purchases = [
      { customerId: 'a', timestamp: '2020-01-01T09:00:00Z', value: 10 },
      { customerId: 'a', timestamp: '2020-01-01T18:00:00Z', value: 5 }, // same day: one transaction of 15
      { customerId: 'a', timestamp: '2020-01-15T00:00:00Z', value: 20 },
      { customerId: 'a', timestamp: '2020-01-29T23:59:59Z', value: 40 }, // on the end day: inside calibration
      { customerId: 'a', timestamp: '2020-02-03T00:00:00Z', value: 7 }, // holdout
      { customerId: 'a', timestamp: '2020-02-03T05:00:00Z', value: 3 }, // same holdout day
      { customerId: 'b', timestamp: '2020-01-22T00:00:00Z', value: 99 },
      { customerId: 'c', timestamp: '2020-02-01T00:00:00Z', value: 1 }, // first purchase after calibration
      { customerId: 'b', timestamp: '2020-03-01T00:00:00Z', value: 5 }, // after holdout end
    ];
    // Act
    const s = rfmSummary(purchases, { calibrationEnd: '2020-01-29', unit: 'weeks', holdoutEnd: '2020-02-29' });
    // Assess
    expect(s.map((c) => c.customerId)).toEqual(['a', 'b']);
    expect(s[0]).toEqual({
      customerId: 'a',
      x: 2,
      t_x: 4,
      T: 4,
      monetary: 30,
      firstPurchase: '2020-01-01',
      holdout: 1,
      holdoutValue: 10,
    });
    expect(s[1]).toMatchObject({ x: 0, t_x: 0, T: 1, monetary: 0, holdout: 0 });
  });

  it('works in days and rejects a holdout that ends before calibration', () => {
    const s = rfmSummary([{ customerId: 'a', timestamp: '2020-01-01T00:00:00Z', value: 1 }], {
      calibrationEnd: '2020-01-11',
      unit: 'days',
    });
    expect(s[0]?.T).toBe(10);
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(() => rfmSummary([], { calibrationEnd: '2020-01-11', unit: 'days', holdoutEnd: '2020-01-01' })).toThrow(
      DataFormatError,
    );
  });
});
