// serve-net's frame filter: what a client of a relay may reach by default;
// and its policer: how many frames a second a client may send.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guestNetwork } from '../../src/core/net-config.js';
import { FramePolicer, frameFilter } from '../../src/node/serve-net.js';

/** An Ethernet frame carrying an IPv4 packet to dst (just enough of one). */
function ipv4To(dst: string): Uint8Array {
  const f = new Uint8Array(34 + 8);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  dst.split('.').forEach((b, i) => (f[30 + i] = Number(b)));
  return f;
}

function ipv6To(groups: number[]): Uint8Array {
  const f = new Uint8Array(54 + 8);
  f[12] = 0x86;
  f[13] = 0xdd;
  groups.forEach((g, i) => {
    f[38 + 2 * i] = g >> 8;
    f[39 + 2 * i] = g & 0xff;
  });
  return f;
}

describe('serve-net frame filter', () => {
  const guest = guestNetwork(null, '192.0.2.53');
  const pass = frameFilter(guest, ['203.0.113.7', '2001:db8::7']);

  it('lets public destinations and the guest link (gateway, name server, broadcast, ARP) through', () => {
    for (const dst of ['93.184.216.34', '8.8.8.8', guest.gateway, guest.dns, '255.255.255.255']) {
      assert.equal(pass(ipv4To(dst)), true, dst);
    }
    const arp = new Uint8Array(42);
    arp[12] = 0x08;
    arp[13] = 0x06;
    assert.equal(pass(arp), true);
    assert.equal(pass(ipv6To([0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111])), true);
    assert.equal(pass(ipv6To([0xfe80, 0, 0, 0, 0, 0, 0, 1])), true);
    assert.equal(pass(ipv6To([0xff02, 0, 0, 0, 0, 0, 0, 2])), true);
  });

  it('drops loopback, private, link-local, shared and this host’s own addresses', () => {
    for (const dst of [
      '127.0.0.1',
      '10.1.2.3',
      '10.0.2.15',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.251',
      '203.0.113.7',
    ]) {
      assert.equal(pass(ipv4To(dst)), false, dst);
    }
    assert.equal(pass(ipv6To([0, 0, 0, 0, 0, 0, 0, 1])), false, '::1');
    assert.equal(pass(ipv6To([0xfd00, 0, 0, 0, 0, 0, 0, 1])), false, 'fd00::1');
    assert.equal(pass(ipv6To([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1])), false, '::ffff:127.0.0.1');
    assert.equal(pass(ipv6To([0x2001, 0xdb8, 0, 0, 0, 0, 0, 7])), false, 'own IPv6');
    assert.equal(pass(ipv6To([0xff05, 0, 0, 0, 0, 0, 0, 2])), false, 'site multicast');
  });

  it('drops frames too short to judge', () => {
    assert.equal(pass(new Uint8Array(10)), false);
    assert.equal(pass(ipv4To('8.8.8.8').subarray(0, 30)), false);
  });
});

describe('serve-net frame policer', () => {
  it('passes a second’s worth at once, then the rate, and refills while quiet', () => {
    let now = 0;
    const p = new FramePolicer(100, () => now);
    let passed = 0;
    for (let i = 0; i < 150; i++) if (p.take()) passed++;
    assert.equal(passed, 100, 'a burst of a second’s worth');
    now += 50; // 5 more frames' worth
    passed = 0;
    for (let i = 0; i < 20; i++) if (p.take()) passed++;
    assert.equal(passed, 5);
    now += 10_000; // a long quiet spell refills no more than a second's worth
    passed = 0;
    for (let i = 0; i < 300; i++) if (p.take()) passed++;
    assert.equal(passed, 100);
  });
});
