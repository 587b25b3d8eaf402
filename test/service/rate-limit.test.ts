/** The token buckets behind the OAuth rate limits: refill, Retry-After, keys, bounded memory. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FixedClock } from '../../src/domain/clock.ts';
import { OAuthError } from '../../src/domain/oauth-error.ts';
import {
  addressKey,
  DEFAULT_RATE_LIMITS,
  RateLimiter,
  TokenBuckets,
} from '../../src/service/token/rate-limit.ts';

describe('token buckets', () => {
  it('a burst of the capacity, then one per 60 s / capacity; Retry-After in whole seconds', () => {
    const b = new TokenBuckets(6); // one every 10 s
    for (let i = 0; i < 6; i++) assert.equal(b.take('k', 0), 0);
    assert.equal(b.take('k', 0), 10);
    assert.equal(b.take('k', 9_001), 1);
    assert.equal(b.take('k', 10_000), 0);
    assert.equal(b.take('k', 10_000), 10);
    // Refill stops at the capacity.
    for (let i = 0; i < 6; i++) assert.equal(b.take('k', 3_600_000), 0);
    assert.equal(b.take('k', 3_600_000), 10);
    // A clock set back neither refills nor breaks anything.
    assert.equal(b.take('k', 0), 10);
  });

  it('keys are independent', () => {
    const b = new TokenBuckets(1);
    assert.equal(b.take('a', 0), 0);
    assert.equal(b.take('a', 0), 60);
    assert.equal(b.take('b', 0), 0);
  });

  it('memory is bounded: full buckets go first, then the least recently used', () => {
    const b = new TokenBuckets(2, 10);
    for (let i = 0; i < 10; i++) b.take(`k${i}`, 0);
    // A minute later every bucket is full again: all of them are dropped for the new key.
    b.take('new', 60_000);
    assert.equal(b.size, 1);
    // Ten spent buckets at the same moment: the oldest tenth makes room.
    const c = new TokenBuckets(1, 10);
    for (let i = 0; i < 10; i++) c.take(`k${i}`, 0);
    c.take('k0', 0); // k0 is now the most recently used
    c.take('new', 0);
    assert.equal(c.size, 10);
    assert.equal(c.take('k0', 0), 60, 'k0 kept its spent bucket');
    assert.equal(c.take('k1', 0), 0, 'k1, the least recently used, was dropped');
  });

  it('addresses: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 per /64', () => {
    assert.equal(addressKey('192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('2001:0DB8:0000:0000:ffff::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64');
    assert.equal(addressKey(null), 'unknown');
    // Not an address: used as given (bounded by the caller), never a crash.
    assert.equal(addressKey('1:2:3'), '1:2:3');
  });

  it('the limiter throws the 429 OAuthError with Retry-After, and 0 means no limit', () => {
    const clock = new FixedClock(0);
    const l = new RateLimiter(clock, { perClientPerMinute: 1, perAddressPerMinute: 0 });
    l.admitClient('c');
    assert.throws(
      () => l.admitClient('c'),
      (e: unknown) =>
        e instanceof OAuthError &&
        e.status === 429 &&
        e.error === 'temporarily_unavailable' &&
        e.detail === 'RateLimited' &&
        e.retryAfterS === 60,
    );
    for (let i = 0; i < 1000; i++) l.admitAddress('192.0.2.1');
    assert.throws(() => new RateLimiter(clock, { ...DEFAULT_RATE_LIMITS, perClientPerMinute: -1 }));
  });
});
