/**
 * The bench's RSS soak rule (bench/report.ts summarizeSoak): only samples taken under load
 * count, and "bounded" means a second-half slope ≤ 2 MB/min or a second half that never rises
 * more than 5 % above the first half's peak.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadResult } from '../../bench/load-client.ts';
import { type RssSample, summarizeSoak } from '../../bench/report.ts';

const load = { completed: 1000, non200: {}, errors: 0 } as unknown as LoadResult;

/** One sample a second for `seconds` seconds (t = 0 … seconds), RSS from `mb(t)`. */
const series = (seconds: number, mb: (t: number) => number): RssSample[] =>
  Array.from({ length: seconds + 1 }, (_, t) => ({ t, mb: mb(t), walMb: 1 }));

describe('summarizeSoak', () => {
  it('a flat sawtooth is bounded', () => {
    const s = summarizeSoak(
      series(300, (t) => 165 + (t % 7)),
      load,
      300,
    );
    assert.equal(s.bounded, true);
    assert.equal(s.samples, 301);
    assert.ok(Math.abs(s.slopeSecondHalf) < 0.5, `slope ${s.slopeSecondHalf}`);
  });

  it('steady growth through the second half is not bounded', () => {
    // +0.1 MB/s = 6 MB/min, the second half ends 30 MB above the first half's peak.
    const s = summarizeSoak(
      series(300, (t) => 160 + t * 0.1),
      load,
      300,
    );
    assert.equal(s.bounded, false);
    assert.ok(Math.abs(s.slopeSecondHalf - 6) < 0.01, `slope ${s.slopeSecondHalf}`);
    assert.ok(s.secondHalfPeakMb > s.firstHalfPeakMb * 1.05);
  });

  it('growth that stays within 5 % of the first half peak is bounded despite its slope', () => {
    // 170 MB peak early, then a slow climb from 160 to 176 MB (≤ 1.05 × 170 = 178.5).
    const s = summarizeSoak(
      series(300, (t) => (t < 10 ? 170 : t < 150 ? 160 : 160 + ((t - 150) * 16) / 150)),
      load,
      300,
    );
    assert.ok(s.slopeSecondHalf > 2, `slope ${s.slopeSecondHalf}`);
    assert.equal(s.firstHalfPeakMb, 170);
    assert.equal(s.bounded, true);
  });

  it('drops samples taken after the load stopped', () => {
    // Flat under load, then a 198 MB reading after it: kept, it would fit a steep slope.
    const under = series(60, (t) => 165 + (t % 3));
    const after = { t: 61.5, mb: 198, walMb: 1 };
    const s = summarizeSoak([...under, after], load, 60);
    assert.equal(s.samples, 61);
    assert.equal(s.endMb, under[60]?.mb);
    assert.equal(s.peakMb, 167);
    assert.equal(s.bounded, true);
    const kept = summarizeSoak([...under, after], load, 62);
    assert.equal(kept.bounded, false, 'the same reading inside the load window counts');
  });

  it('too few samples cannot show the RSS bounded', () => {
    assert.equal(summarizeSoak([{ t: 0, mb: 160 }], load, 60).bounded, false);
    assert.equal(summarizeSoak([], load, 60).bounded, false);
  });
});
