// The network's pure parts: --publish specifications, the guest's
// addresses and init's WASMLINUX_NET=, and qemu's stream framing (passt).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  guestNetCmdline,
  guestNetwork,
  isAddressText,
  parsePublish,
  PublishError,
} from '../../src/core/net-config.js';
import { encodeFrames, FrameReader, hostGateway6, passtArgs } from '../../src/node/passt.js';

describe('--publish', () => {
  it('takes HOSTPORT:GUESTPORT, an address before it, and /udp or /tcp after it', () => {
    assert.deepEqual(parsePublish('8080:80'), { hostPort: 8080, guestPort: 80, protocol: 'tcp' });
    assert.deepEqual(parsePublish('127.0.0.1:5353:53/udp'), {
      address: '127.0.0.1',
      hostPort: 5353,
      guestPort: 53,
      protocol: 'udp',
    });
    assert.deepEqual(parsePublish('[::1]:2222:22/tcp'), {
      address: '::1',
      hostPort: 2222,
      guestPort: 22,
      protocol: 'tcp',
    });
  });

  it('refuses what is not a port, with the spec in the message', () => {
    for (const bad of ['80', '0:80', '8080:65536', 'a:b', '8080:80/sctp', '1.2.3:80:80']) {
      assert.throws(
        () => parsePublish(bad),
        (e: Error) => e instanceof PublishError && e.message.includes(bad),
        bad,
      );
    }
  });
});

describe('guest network', () => {
  it('routes through the host address and names the forwarder, or the gateway for a 127.0.0.1 resolver', () => {
    const net = guestNetwork('192.0.2.2', '198.51.100.53');
    assert.equal(net.gateway, '192.0.2.2');
    assert.equal(net.dns, '10.0.2.3');
    assert.equal(guestNetwork(null, '127.0.0.1').dns, guestNetwork(null, null).gateway);
    assert.equal(
      guestNetCmdline(net, 'static', 65520),
      'WASMLINUX_NET=addr=10.0.2.15/24,gw=192.0.2.2,mtu=65520,dns=10.0.2.3,host=192.0.2.2',
    );
    assert.equal(
      guestNetCmdline(net, 'dhcp', 65520),
      'WASMLINUX_NET=dhcp,dns=10.0.2.3,host=192.0.2.2',
    );
    assert.equal(
      guestNetCmdline(guestNetwork('192.0.2.2', null, '2001:db8::1'), 'static', 1500),
      'WASMLINUX_NET=addr=10.0.2.15/24,gw=192.0.2.2,mtu=1500,dns=10.0.2.3,host=192.0.2.2,host6=2001:db8::1',
    );
  });

  it("finds the host's IPv6 router in /proc/net/ipv6_route, as passt does", () => {
    const zero = '0'.repeat(32);
    const route = (dest: string, hop: string, flags: string, dev: string): string =>
      `${dest} 00 ${zero} 00 ${hop} 00000400 00000001 00000000 ${flags} ${dev}`;
    const lo = route(zero, zero, '00200200', 'lo'); // the kernel's unreachable default
    const subnet = `fd000000000000000000000000000000 40 ${zero} 00 ${zero} 00000100 00000001 00000000 00000001 eth0`;
    assert.equal(
      hostGateway6([subnet, lo, route(zero, 'fd000000000000000000000000000001', '00000003', 'eth0')].join('\n')),
      'fd00::1',
    );
    assert.equal(
      hostGateway6(route(zero, 'fe800000000000000000000000000001', '00450003', 'ens3')),
      'fe80::1%eth0',
    );
    assert.equal(hostGateway6([subnet, lo].join('\n')), null);
    assert.equal(hostGateway6(''), null);
  });

  it('takes only addresses for the kernel command line', () => {
    for (const ok of ['10.0.2.15', 'fd00::1', 'fe80::1%eth0', '::ffff:192.0.2.1']) {
      assert.ok(isAddressText(ok), ok);
    }
    for (const bad of ['10.0.2.256', '10.0.2', 'fd00::1 init=/bin/sh', 'host', '', '1.2.3.4,x=y']) {
      assert.ok(!isAddressText(bad), bad);
    }
  });

  it('passt gets the same addresses, the published ports, and forwards DNS only to a non-loopback resolver', () => {
    const net = guestNetwork('192.0.2.2', '198.51.100.53');
    const args = passtArgs(
      {
        resolver: '198.51.100.53',
        publish: [
          { hostPort: 8080, guestPort: 80, protocol: 'tcp' },
          { address: '127.0.0.1', hostPort: 53, guestPort: 5353, protocol: 'udp' },
        ],
      },
      net,
      '/tmp/x/passt.sock',
      false,
    );
    const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    assert.equal(after('--address'), '10.0.2.15');
    assert.equal(after('--gateway'), '192.0.2.2');
    assert.equal(after('--dns-forward'), '10.0.2.3');
    assert.equal(after('--dns'), '198.51.100.53');
    assert.equal(after('--tcp-ports'), '8080:80');
    assert.equal(after('--udp-ports'), '127.0.0.1/53:5353');
    assert.ok(!args.includes('--runas'));
    const lo = passtArgs(
      { resolver: '127.0.0.1' },
      guestNetwork('192.0.2.2', '127.0.0.1'),
      '/s',
      true,
    );
    assert.ok(!lo.includes('--dns-forward'));
    assert.equal(lo[lo.indexOf('--runas') + 1], '65534:65534');
  });
});

describe("qemu's stream framing", () => {
  it('round-trips frames split anywhere across chunks', () => {
    const frames = [
      new Uint8Array(60).fill(1),
      new Uint8Array(1514).fill(2),
      new Uint8Array(65534).fill(3),
    ];
    const stream = encodeFrames(frames);
    assert.equal(stream.readUInt32BE(0), 60);
    for (const step of [1, 3, 7, 1000, stream.length]) {
      const reader = new FrameReader();
      const got: Buffer[] = [];
      for (let off = 0; off < stream.length; off += step)
        got.push(...reader.push(stream.subarray(off, off + step)));
      assert.deepEqual(
        got.map((f) => [f.length, f[0]]),
        frames.map((f) => [f.length, f[0]]),
        `step ${step}`,
      );
    }
  });
});

describe('a broken stream', () => {
  it('a frame length beyond any frame is refused, not waited for', () => {
    const bad = Buffer.alloc(8);
    bad.writeUInt32BE(0x7fffffff, 0);
    assert.throws(() => new FrameReader().push(bad), /declared a frame of 2147483647 bytes/);
  });
});
