#!/usr/bin/python3
'''Random D-Bus calls to smoothfsd, for tests/dbus/test-smoothfsd.py (the
D-Bus fuzzer of issue 9.5):

    fuzz-calls.py SEED COUNT MOUNT_DIR [no-destroy]

COUNT calls, each to a method of the daemon's objects (those of dbus/*.xml
and the standard interfaces, plus unknown ones), on a known or an unknown
object, with arguments of the right signature filled with random and
troublesome values (paths in and out of the pool, huge strings and arrays,
control characters, every option key with values of every type), or of a
random signature.  "no-destroy" leaves Pool.Destroy out, so that a root
caller does not take the pool it fuzzes away.  Prints one JSON object: the
number of calls, of successes and of each error name, and the calls that
got no answer in time.  Exits non-zero if any did, or if the daemon
stops answering.'''

import json
import os
import random
import sys
import xml.etree.ElementTree as ET

from gi.repository import Gio, GLib

DEST = 'org.smoothfs1'
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get('TOP', os.path.join(HERE, '..', '..'))
BASIC = 'ybnqiuxtdsog'
MESSAGE_MAX = 1 << 20
CALL_TIMEOUT_MS = 15000
OPTION_KEYS = ['force', 'limit', 'mount_base', 'uuid', 'auth.no_user_interaction',
               'enabled', 'high_watermark', 'low_watermark', 'interval_sec',
               'max_bytes_per_sec', 'max_concurrent', 'min_residency_sec', 'quiet_hours',
               'target_fill', '', 'bogus', 'x' * 300]


class Fuzzer:
    def __init__(self, seed, mnt):
        self.rng = random.Random(seed)
        self.mnt = mnt
        pool = os.path.join(mnt, 'tank')
        self.strings = [
            '', '/', '.', '..', 'tank', 'nope', 'Tank', 'a' * 64, 'a' * 65, 'x' * 70000,
            '6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01', '00000000-0000-0000-0000-000000000000',
            pool, pool + '/', pool + '/file', pool + '/dir', pool + '/missing',
            pool + '/../../etc/passwd', pool + '/escape/passwd', pool + '/link',
            pool + '/.smoothfs/journal', pool + 'x/file', '/etc/passwd', '/proc/self/fd/0',
            'relative/path', '\x01\x7f', 'line\nbreak', 'caf\u00e9 \u2603', '%s%n%x',
            'pin_hot', 'pin_cold', 'pin_lease', 'pin_lun', 'pin_hardlink', 'none',
            '01:00-03:00', '25:00-03:00', 'mounted', mnt, '/srv', '/tmp',
        ]
        self.paths = ['/org/smoothfs1', '/org/smoothfs1/pool/tank', '/org/smoothfs1/pool/nope',
                      '/org/smoothfs1/pool/_', '/org/smoothfs1/pool', '/', '/org']
        self.methods = self.load_methods()

    def load_methods(self):
        out = []
        for name in ('org.smoothfs1.Manager.xml', 'org.smoothfs1.Pool.xml'):
            root = ET.parse(os.path.join(TOP, 'dbus', name)).getroot()
            for iface in root.iter('interface'):
                for m in iface.iter('method'):
                    sig = ''.join(a.get('type') for a in m.iter('arg')
                                  if a.get('direction', 'in') == 'in')
                    out.append((iface.get('name'), m.get('name'), sig))
        props = 'org.freedesktop.DBus.Properties'
        out += [(props, 'Get', 'ss'), (props, 'GetAll', 's'), (props, 'Set', 'ssv'),
                ('org.freedesktop.DBus.Introspectable', 'Introspect', ''),
                ('org.freedesktop.DBus.Peer', 'Ping', ''),
                ('org.freedesktop.DBus.ObjectManager', 'GetManagedObjects', ''),
                ('org.smoothfs1.Manager', 'NoSuchMethod', 's'),
                ('org.smoothfs1.Nope', 'Version', '')]
        return out

    # --- values ---------------------------------------------------------------

    def number(self, bits, signed):
        r = self.rng
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        return r.choice([lo, hi, 0, 1, 2, 5, 8, 10, 50, 70, 90, 100, 101, 255,
                         r.randint(lo, hi)]) if hi >= 255 else r.choice([lo, hi, 0, 1])

    def string(self):
        r = self.rng
        if r.random() < 0.7:
            return r.choice(self.strings)
        return ''.join(chr(r.choice([r.randint(1, 127), r.randint(128, 0x2fff)]))
                       for _ in range(r.randint(0, 40)))

    def value(self, t, depth=0):
        r = self.rng
        c = t[0]
        if c == 'y':
            return self.number(8, False)
        if c == 'b':
            return r.random() < 0.5
        if c in 'nqiuxt':
            bits = {'n': 16, 'q': 16, 'i': 32, 'u': 32, 'x': 64, 't': 64}[c]
            return self.number(bits, c in 'nix')
        if c == 'd':
            return r.choice([0.0, -1.0, 1e308, float('inf'), float('nan'), r.random()])
        if c == 's':
            return self.string()
        if c == 'o':
            return r.choice(self.paths)
        if c == 'g':
            return r.choice(['', 's', 'a{sv}', 'ay'])
        if c == 'v':
            inner = self.signature(depth + 1) if r.random() < 0.4 else r.choice('ybus')
            return GLib.Variant(inner, self.value(inner, depth + 1))
        if t.startswith('a{'):
            kt, vt = t[2], t[3:-1]
            n = r.choice([0, 1, 2, 3, 40]) if depth < 2 else r.choice([0, 1])
            out = {}
            for _ in range(n):
                if kt == 's' and vt == 'v' and r.random() < 0.8:
                    out[r.choice(OPTION_KEYS)] = self.value('v', depth + 1)
                else:
                    out[self.value(kt, depth + 1)] = self.value(vt, depth + 1)
            return out
        if c == 'a':
            n = r.choice([0, 1, 2, 8, 9, 100, 5000]) if depth == 0 else r.choice([0, 1, 2])
            return [self.value(t[1:], depth + 1) for _ in range(n)]
        if c == '(':
            return tuple(self.value(x, depth + 1) for x in split(t[1:-1]))
        raise ValueError(t)

    def signature(self, depth=0):
        r = self.rng
        k = r.random()
        if depth > 2 or k < 0.6:
            return r.choice(BASIC + 'v')
        if k < 0.8:
            return 'a' + self.signature(depth + 1)
        if k < 0.9:
            return 'a{%s%s}' % (r.choice('syiu'), self.signature(depth + 1))
        return '(' + ''.join(self.signature(depth + 1) for _ in range(r.randint(1, 3))) + ')'

    def call_args(self, sig):
        r = self.rng
        if r.random() < 0.2:
            sig = ''.join(self.signature() for _ in range(r.randint(0, 4)))
        types = split(sig)
        if not types:
            return None
        return GLib.Variant('(' + ''.join(types) + ')',
                            tuple(self.value(t) for t in types))


def split(sig):
    '''The complete types of a signature.'''
    out, i = [], 0
    while i < len(sig):
        j = i
        while sig[j] == 'a':
            j += 1
        if sig[j] in '({':
            depth, k = 0, j
            while True:
                depth += sig[k] in '({'
                depth -= sig[k] in ')}'
                k += 1
                if depth == 0:
                    break
            j = k
        else:
            j += 1
        out.append(sig[i:j])
        i = j
    return out


def main():
    seed, count, mnt = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    no_destroy = 'no-destroy' in sys.argv[4:]
    f = Fuzzer(seed, mnt)
    bus = connect()
    stats = {'calls': 0, 'ok': 0, 'errors': {}, 'slow': []}
    for _ in range(count):
        iface, method, sig = f.rng.choice(f.methods)
        if no_destroy and method == 'Destroy':
            continue
        # Mostly the object that has the interface, sometimes any.
        home = {'org.smoothfs1.Manager': f.paths[0], 'org.smoothfs1.Pool': f.paths[1]}
        if iface in home and f.rng.random() < 0.8:
            path = home[iface]
        else:
            path = f.rng.choice(f.paths[:2] * 4 + f.paths)
        params = f.call_args(sig)
        # The bus drops a client whose message is too big (max_message_size).
        if params is not None and params.get_size() > MESSAGE_MAX:
            continue
        flags = Gio.DBusCallFlags.NONE
        if f.rng.random() < 0.3:
            flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION
        stats['calls'] += 1
        try:
            bus.call_sync(DEST, path, iface, method, params, None, flags, CALL_TIMEOUT_MS,
                          None)
            stats['ok'] += 1
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e)
            if not name:
                name = 'local:%s:%d' % (e.domain, e.code)
            stats['errors'][name] = stats['errors'].get(name, 0) + 1
            if e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.TIMED_OUT):
                stats['slow'].append([path, iface, method, params.print_(True)[:200]
                                      if params is not None else ''])
            if bus.is_closed():
                return report(stats, 'the bus closed our connection', [path, iface, method])
            if name in ('org.freedesktop.DBus.Error.ServiceUnknown',
                        'org.freedesktop.DBus.Error.NoReply',
                        'org.freedesktop.DBus.Error.NameHasNoOwner'):
                return report(stats, 'smoothfsd stopped answering', [path, iface, method])
    return report(stats)


def connect():
    return Gio.DBusConnection.new_for_address_sync(
        Gio.dbus_address_get_for_bus_sync(Gio.BusType.SYSTEM, None),
        Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
        Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)


def report(stats, failure=None, last=None):
    if failure:
        stats.update(failure=failure, last=last)
    print(json.dumps(stats))
    return 1 if failure or stats['slow'] else 0


if __name__ == '__main__':
    sys.exit(main())
