#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
'''smoothfsd over D-Bus, on the private system bus tests/dbus/run sets up.

Every call is made as root and, where it matters, as nobody.  Every
refused call is checked to have changed nothing: properties, the
database, the unit directory and the mount base.'''

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True		# no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client  # noqa: E402

TMP = os.environ['TEST_TMP']
TOP = os.environ['TOP']
DAEMON = os.environ['SMOOTHFSD']
DB = os.path.join(TMP, 'state', 'smoothfsd.db')
UNITS = os.path.join(TMP, 'units')
MNT = os.path.join(TMP, 'mnt')
TIERS = [os.path.join(TMP, 't0'), os.path.join(TMP, 't1')]
POOL_UUID = '6b1f3a52-8f0e-4c43-9a38-0c3c1a2d9e01'
POOL_MNT = os.path.join(MNT, 'tank')
POOL_PATH = '/org/smoothfs1/pool/tank'
MANAGER = ('/org/smoothfs1', 'org.smoothfs1.Manager')
POOL = (POOL_PATH, 'org.smoothfs1.Pool')
E = 'org.smoothfs1.Error.'
ACCESS_DENIED = 'org.freedesktop.DBus.Error.AccessDenied'
INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
MOVEMENT = 'org.smoothfs1.manage-movement'
POOLS = 'org.smoothfs1.manage-pools'
MODULE_LOADED = os.path.exists('/sys/module/smoothfs')


def v(sig, value):
    return {'$v': sig, 'value': value}


def call(obj, method, sig='()', args=(), user='root', interactive=False):
    req = {'path': obj[0], 'iface': obj[1], 'method': method, 'sig': sig,
           'args': list(args), 'interactive': interactive}
    if user == 'root':
        return json.loads(json.dumps(client.call(req)))
    out = subprocess.run(['runuser', '-u', user, '--', 'env',
                          'DBUS_SYSTEM_BUS_ADDRESS=' + os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
                          '/usr/bin/python3', os.path.join(TMP, 'client.py')],
                         input=json.dumps(req), check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def res(r):
    '''The result of a call that must succeed.'''
    assert r['ok'], r
    return r['result']


def mock(method, sig='()', args=()):
    r = client.call({'dest': 'org.freedesktop.PolicyKit1',
                     'path': '/org/freedesktop/PolicyKit1/Authority',
                     'iface': 'org.freedesktop.DBus.Mock', 'method': method,
                     'sig': sig, 'args': list(args)})
    assert r['ok'], r
    return r['result']


def get_prop(obj, name):
    r = call(('%s' % obj[0], 'org.freedesktop.DBus.Properties'), 'Get', '(ss)', [obj[1], name])
    assert r['ok'], r
    return r['result'][0]


def get_all(obj):
    r = call((obj[0], 'org.freedesktop.DBus.Properties'), 'GetAll', '(s)', [obj[1]])
    assert r['ok'], r
    return r['result'][0]


def polkit_checks():
    '''(action, flags) of every CheckAuthorization the mock answered.'''
    calls = mock('GetCalls')[0]
    return [(c[2][1], c[2][3]) for c in calls if c[1] == 'CheckAuthorization']


def snapshot():
    '''Everything a refused call must leave alone.'''
    con = sqlite3.connect(DB)
    try:
        rows = {t: con.execute('SELECT * FROM %s ORDER BY 1, 2' % t).fetchall()
                for t in ('pools', 'objects', 'moves', 'policy')}
    finally:
        con.close()
    files = sorted(os.path.join(d, f) for top in (UNITS, MNT)
                   for d, dirs, fs in os.walk(top) for f in fs + dirs)
    props = get_all(POOL)
    # free space moves with everyone else's writes; paths must not
    props['Tiers'] = [(t[0], t[1]) for t in props['Tiers']]
    return rows, files, props, res(call(MANAGER, 'ListPools'))


class Daemon:
    proc = None

    @classmethod
    def start(cls, *extra):
        if getattr(cls, 'log', None):
            cls.log.close()
        cls.log = open(os.path.join(TMP, 'smoothfsd.log'), 'a')
        env = dict(os.environ, SMOOTHFSD_LOG='stderr', SMOOTHFSD_DEBUG='1')
        cls.proc = subprocess.Popen([DAEMON, '--database', DB, '--unit-dir', UNITS,
                                     '--mount-base', MNT] + list(extra),
                                    env=env, stdout=cls.log, stderr=cls.log)
        for _ in range(100):
            r = client.call({'dest': 'org.freedesktop.DBus', 'path': '/org/freedesktop/DBus',
                             'iface': 'org.freedesktop.DBus', 'method': 'NameHasOwner',
                             'sig': '(s)', 'args': ['org.smoothfs1']})
            if r['ok'] and r['result'][0]:
                return
            if cls.proc.poll() is not None:
                raise RuntimeError('smoothfsd exited with %d' % cls.proc.returncode)
            time.sleep(0.1)
        raise RuntimeError('smoothfsd did not take its name')

    @classmethod
    def stop(cls):
        if cls.proc:
            cls.proc.send_signal(signal.SIGTERM)
            rc = cls.proc.wait(timeout=20)
            cls.proc = None
            assert rc == 0, 'smoothfsd exited with %d on SIGTERM' % rc


def seed():
    '''A managed pool "tank" in the database, as CreatePool leaves it.'''
    for d in TIERS + [UNITS, POOL_MNT, os.path.join(POOL_MNT, 'dir'), os.path.dirname(DB)]:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(POOL_MNT, 'file'), 'w') as f:
        f.write('data')
    os.symlink('/etc', os.path.join(POOL_MNT, 'escape'))
    os.symlink('file', os.path.join(POOL_MNT, 'link'))
    name = subprocess.run(['systemd-escape', '--path', '--suffix=mount', POOL_MNT],
                          check=True, capture_output=True, text=True).stdout.strip()
    unit = os.path.join(UNITS, name)
    with open(unit, 'w') as f:
        f.write('[Mount]\n')
    Daemon.start()
    Daemon.stop()
    con = sqlite3.connect(DB)
    with con:
        con.execute('INSERT INTO pools (name, uuid, mountpoint, unit_path, tiers) '
                    'VALUES (?, ?, ?, ?, ?)',
                    ('tank', POOL_UUID, POOL_MNT, unit, '\n'.join(TIERS)))
    con.close()


def interfaces(xml_text, prefix='org.smoothfs1.'):
    '''{interface: {(kind, name): details}} of the org.smoothfs1 interfaces.'''
    out = {}
    for iface in ET.fromstring(xml_text).iter('interface'):
        name = iface.get('name')
        if not name.startswith(prefix):
            continue
        members = {}
        for m in iface:
            if m.tag == 'method':
                members[('method', m.get('name'))] = [
                    (a.get('name'), a.get('type'), a.get('direction', 'in'))
                    for a in m.iter('arg')]
            elif m.tag == 'signal':
                members[('signal', m.get('name'))] = [
                    (a.get('name'), a.get('type')) for a in m.iter('arg')]
            elif m.tag == 'property':
                ann = {a.get('name'): a.get('value') for a in m.iter('annotation')}
                members[('property', m.get('name'))] = (
                    m.get('type'), m.get('access'),
                    ann.get('org.freedesktop.DBus.Property.EmitsChangedSignal', 'true'))
        out[name] = members
    return out


class TestSmoothfsd(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        seed()
        Daemon.start()

    @classmethod
    def tearDownClass(cls):
        Daemon.stop()

    def setUp(self):
        mock('SetAllowed', '(as)', [[]])
        mock('ClearCalls')

    def assertError(self, r, name, contains=None):
        self.assertFalse(r['ok'], r)
        self.assertEqual(r['error'], name, r)
        if contains:
            self.assertIn(contains, r['message'])

    def refused(self, obj, method, sig, args, error, users=('root', 'nobody'), contains=None):
        '''The call fails with @error for every user and changes nothing.'''
        for user in users:
            before = snapshot()
            r = call(obj, method, sig, args, user=user)
            self.assertError(r, error, contains)
            self.assertEqual(snapshot(), before, '%s by %s changed state' % (method, user))

    # --- introspection ---------------------------------------------------

    def introspect(self, path):
        r = call((path, 'org.freedesktop.DBus.Introspectable'), 'Introspect')
        self.assertTrue(r['ok'], r)
        return r['result'][0]

    def test_introspection_matches_xml(self):
        for path, xml in (('/org/smoothfs1', 'org.smoothfs1.Manager.xml'),
                          (POOL_PATH, 'org.smoothfs1.Pool.xml')):
            with open(os.path.join(TOP, 'dbus', xml)) as f:
                want = interfaces(f.read())
            got = interfaces(self.introspect(path))
            self.assertEqual(got, want, path)
        self.assertIn('org.freedesktop.DBus.ObjectManager', self.introspect('/org/smoothfs1'))

    def test_object_manager(self):
        r = call(('/org/smoothfs1', 'org.freedesktop.DBus.ObjectManager'), 'GetManagedObjects')
        self.assertTrue(r['ok'], r)
        objs = r['result'][0]
        self.assertIn(POOL_PATH, objs)
        self.assertEqual(objs[POOL_PATH]['org.smoothfs1.Pool']['Name'], 'tank')

    # --- reads -------------------------------------------------------------

    def test_reads(self):
        with open(os.path.join(TOP, 'VERSION')) as f:
            version = f.read().strip()
        for user in ('root', 'nobody'):
            self.assertEqual(res(call(MANAGER, 'ListPools', user=user)), [[POOL_PATH]])
            self.assertEqual(res(call(MANAGER, 'GetPool', '(s)', ['tank'], user=user)),
                             [POOL_PATH])
            self.assertEqual(res(call(MANAGER, 'GetPool', '(s)', [POOL_UUID], user=user)),
                             [POOL_PATH])
            self.assertError(call(MANAGER, 'GetPool', '(s)', ['nope'], user=user),
                             E + 'NotFound')
            self.assertError(call(MANAGER, 'GetPool', '(s)', ['Not A Name!'], user=user),
                             E + 'InvalidArgument')
            self.assertError(call(MANAGER, 'GetPool', '(s)', ['x' * 100000], user=user),
                             E + 'InvalidArgument')
        self.assertEqual(get_prop(MANAGER, 'Version'), version)
        self.assertEqual(get_prop(MANAGER, 'KernelModuleLoaded'), MODULE_LOADED)
        props = get_all(POOL)
        self.assertEqual(props['Name'], 'tank')
        self.assertEqual(props['UUID'], POOL_UUID)
        self.assertEqual(props['Mountpoint'], POOL_MNT)
        self.assertTrue(props['UnitPath'].endswith('-mnt-tank.mount'))
        self.assertEqual(props['State'], 'unmounted')
        self.assertEqual([(t[0], t[1]) for t in props['Tiers']], [(0, TIERS[0]), (1, TIERS[1])])
        self.assertTrue(all(t[2] > 0 for t in props['Tiers']))
        self.assertEqual(props['Policy']['high_watermark'], 90)
        for c in ('MovesCompleted', 'MovesFailed', 'BytesMoved', 'SpillCount'):
            self.assertEqual(props[c], 0)
        self.assertEqual(res(call(POOL, 'PlanMoves', '(a{sv})', [{}], user='nobody')),
                         [[]])
        self.assertEqual(polkit_checks(), [], 'reads asked polkit')

    def test_unknown_object(self):
        r = call(('/org/smoothfs1/pool/nope', 'org.smoothfs1.Pool'), 'Quiesce', '(a{sv})', [{}])
        self.assertError(r, 'org.freedesktop.DBus.Error.UnknownObject')

    # --- authorisation ------------------------------------------------------

    def test_denied_then_allowed(self):
        policy = get_prop(POOL, 'Policy')
        self.refused(POOL, 'SetPolicy', '(a{sv})', [{'target_fill': v('y', 50)}],
                     ACCESS_DENIED, users=('nobody',))
        self.assertEqual(polkit_checks(), [(MOVEMENT, 0)])
        self.assertEqual(get_prop(POOL, 'Policy'), policy)
        # the wrong action does not help
        mock('SetAllowed', '(as)', [[POOLS]])
        self.refused(POOL, 'SetPolicy', '(a{sv})', [{'target_fill': v('y', 50)}],
                     ACCESS_DENIED, users=('nobody',))
        mock('SetAllowed', '(as)', [[MOVEMENT]])
        r = call(POOL, 'SetPolicy', '(a{sv})', [{'target_fill': v('y', 50)}], user='nobody')
        self.assertTrue(r['ok'], r)
        self.assertEqual(get_prop(POOL, 'Policy')['target_fill'], 50)
        con = sqlite3.connect(DB)
        self.assertEqual(con.execute("SELECT value FROM policy WHERE pool = 'tank' AND "
                                     "key = 'target_fill'").fetchone(), ('50',))
        con.close()
        # it survives a restart of the daemon
        Daemon.stop()
        Daemon.start()
        self.assertEqual(get_prop(POOL, 'Policy')['target_fill'], 50)
        r = call(POOL, 'SetPolicy', '(a{sv})', [{'target_fill': v('y', 80)}], user='nobody')
        self.assertTrue(r['ok'], r)

    def test_pools_action_denied(self):
        # CreatePool asks for manage-pools; nobody has it, nothing happens.
        mock('SetAllowed', '(as)', [[MOVEMENT]])
        self.refused(MANAGER, 'CreatePool', '(sasa{sv})', ['newpool', TIERS, {}],
                     ACCESS_DENIED, users=('nobody',))
        self.refused(POOL, 'Destroy', '(a{sv})', [{}], ACCESS_DENIED, users=('nobody',))
        self.assertEqual(polkit_checks(), [(POOLS, 0), (POOLS, 0)])

    def test_root_skips_polkit(self):
        r = call(POOL, 'SetPolicy', '(a{sv})', [{'max_concurrent': v('u', 3)}])
        self.assertTrue(r['ok'], r)
        self.assertEqual(get_prop(POOL, 'Policy')['max_concurrent'], 3)
        self.assertEqual(polkit_checks(), [])
        call(POOL, 'SetPolicy', '(a{sv})', [{'max_concurrent': v('u', 2)}])

    def test_user_interaction(self):
        args = [{'enabled': v('b', True)}]
        call(POOL, 'SetPolicy', '(a{sv})', args, user='nobody', interactive=True)
        call(POOL, 'SetPolicy', '(a{sv})', args, user='nobody', interactive=False)
        args = [{'enabled': v('b', True), 'auth.no_user_interaction': v('b', True)}]
        call(POOL, 'SetPolicy', '(a{sv})', args, user='nobody', interactive=True)
        args = [{'auth.no_user_interaction': v('b', False)}]
        call(POOL, 'Quiesce', '(a{sv})', args, user='nobody', interactive=True)
        self.assertEqual(polkit_checks(), [(MOVEMENT, 1), (MOVEMENT, 0), (MOVEMENT, 0),
                                           (MOVEMENT, 1)])

    def test_responsive_while_polkit_hangs(self):
        mock('SimulateHang', '(b)', [True])
        try:
            req = {'path': POOL_PATH, 'iface': 'org.smoothfs1.Pool', 'method': 'SetPolicy',
                   'sig': '(a{sv})', 'args': [{'enabled': v('b', False)}]}
            pending = subprocess.Popen(
                ['runuser', '-u', 'nobody', '--', 'env',
                 'DBUS_SYSTEM_BUS_ADDRESS=' + os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
                 '/usr/bin/python3', os.path.join(TMP, 'client.py'), json.dumps(req)],
                stdout=subprocess.PIPE, text=True)
            for _ in range(100):
                if mock('HaveHangingCalls')[0]:
                    break
                time.sleep(0.1)
            self.assertTrue(mock('HaveHangingCalls')[0])
            t = time.monotonic()
            self.assertEqual(res(call(MANAGER, 'ListPools')), [[POOL_PATH]])
            self.assertLess(time.monotonic() - t, 5)
            self.assertTrue(get_prop(POOL, 'Policy')['enabled'])
        finally:
            mock('SimulateHang', '(b)', [False])
            mock('ReleaseHangingCalls')
        out = json.loads(pending.communicate(timeout=30)[0])
        self.assertError(out, ACCESS_DENIED)
        self.assertTrue(get_prop(POOL, 'Policy')['enabled'])

    # --- bad input, every method -----------------------------------------

    def test_bad_create_pool(self):
        ia = E + 'InvalidArgument'
        nine = [os.path.join(TMP, 't%d' % i) for i in range(9)]
        for d in nine:
            os.makedirs(d, exist_ok=True)
        cases = [
            (['Bad!', TIERS, {}], ia),
            (['', TIERS, {}], ia),
            (['a' * 64, TIERS, {}], ia),
            (['newpool', [], {}], ia),
            (['newpool', nine, {}], ia),
            (['newpool', [TIERS[0]] * 100000, {}], ia),
            (['newpool', ['relative/path'], {}], ia),
            (['newpool', [os.path.join(TMP, 'missing')], {}], ia),
            (['newpool', [TIERS[0], TIERS[0]], {}], ia),
            (['newpool', [TMP, TIERS[0]], {}], ia),
            (['newpool', TIERS, {'bogus': v('b', True)}], ia),
            (['newpool', TIERS, {'uuid': v('u', 1)}], ia),
            (['newpool', TIERS, {'uuid': v('s', 'not-a-uuid')}], ia),
            (['newpool', TIERS, {'uuid': v('s', POOL_UUID)}], E + 'AlreadyExists'),
            (['newpool', TIERS, {'mount_base': v('s', 'relative')}], ia),
            (['newpool', TIERS, {'auth.no_user_interaction': v('s', 'yes')}], ia),
            (['newpool', TIERS, {'target_fill': v('y', 101)}], ia),
            (['newpool', TIERS, {'low_watermark': v('y', 95)}], ia),
            (['tank', TIERS, {}], E + 'AlreadyExists'),
        ]
        for args, err in cases:
            with self.subTest(args=str(args)[:80]):
                self.refused(MANAGER, 'CreatePool', '(sasa{sv})', args, err)
        self.refused(MANAGER, 'CreatePool', '(sas)', ['newpool', TIERS], INVALID_ARGS)
        self.refused(MANAGER, 'CreatePool', '(ssa{sv})', ['newpool', TIERS[0], {}], INVALID_ARGS)
        self.assertEqual(polkit_checks(), [], 'bad input reached polkit')

    def test_create_pool_without_systemd(self):
        # Valid and authorised, but there is no systemd on this bus.
        before = snapshot()
        r = call(MANAGER, 'CreatePool', '(sasa{sv})', ['newpool', TIERS, {}])
        self.assertError(r, E + 'Failed')
        self.assertIn('systemd is not running', r['message'])
        self.assertEqual(snapshot(), before)
        self.assertFalse(os.path.exists(os.path.join(MNT, 'newpool')))

    def test_destroy_without_systemd(self):
        self.refused(POOL, 'Destroy', '(a{sv})', [{'bogus': v('b', True)}], E + 'InvalidArgument')
        self.refused(POOL, 'Destroy', '(a{sv})', [{}], E + 'Failed', users=('root',),
                     contains='systemd is not running')
        self.assertTrue(os.path.exists(get_prop(POOL, 'UnitPath')))

    def test_bad_quiesce_reconcile(self):
        ia = E + 'InvalidArgument'
        self.refused(POOL, 'Quiesce', '(a{sv})', [{'x': v('b', True)}], ia)
        self.refused(POOL, 'Quiesce', '(s)', ['x'], INVALID_ARGS)
        self.refused(POOL, 'Reconcile', '(sa{sv})', ['r' * 256, {}], ia)
        self.refused(POOL, 'Reconcile', '(sa{sv})', ['line\nbreak', {}], ia)
        self.refused(POOL, 'Reconcile', '(sa{sv})', ['ok', {'force': v('b', True)}], ia)
        if not MODULE_LOADED:
            self.refused(POOL, 'Quiesce', '(a{sv})', [{}], E + 'NotLoaded', users=('root',))
            self.refused(POOL, 'Reconcile', '(sa{sv})', ['ok', {}], E + 'NotLoaded',
                         users=('root',))
        self.assertEqual(polkit_checks(), [])

    def bad_paths(self):
        '''(path, error, whether finding the error needs a lookup)'''
        ia = E + 'InvalidArgument'
        return [
            ('relative/file', ia, False),
            ('', ia, False),
            ('/etc/passwd', ia, False),
            (MNT + '/tankx/file', ia, False),
            (POOL_MNT + '/' + 'x' * 5000, ia, False),
            (POOL_MNT + '/../../etc/passwd', ia, True),
            (POOL_MNT + '/dir/../../tank/../../x', ia, True),
            (POOL_MNT + '/escape/passwd', ia, True),
            (POOL_MNT + '/link', ia, True),
            (POOL_MNT + '/missing', E + 'NotFound', True),
        ]

    def test_bad_inspect(self):
        for path, err, _ in self.bad_paths():
            with self.subTest(path=path[:80]):
                self.refused(POOL, 'Inspect', '(s)', [path], err)
        if not MODULE_LOADED:
            self.refused(POOL, 'Inspect', '(s)', [POOL_MNT + '/file'], E + 'NotLoaded')
        # The path is looked up as the caller: behind root's 0700 directory
        # a file and a missing name are the same refusal to nobody.
        private = os.path.join(POOL_MNT, 'private')
        os.mkdir(private, 0o700)
        try:
            with open(os.path.join(private, 'secret'), 'w') as f:
                f.write('hidden')
            for name in ('secret', 'missing'):
                self.refused(POOL, 'Inspect', '(s)', [os.path.join(private, name)],
                             ACCESS_DENIED, users=('nobody',), contains='Permission denied')
        finally:
            shutil.rmtree(private)
        self.assertEqual(polkit_checks(), [])

    def bad_path_args(self, method, sig, args_for):
        '''Malformed paths are refused to everyone without asking polkit; the
        rest are looked up only for authorised callers, so an unauthorised
        one cannot tell a missing file from an existing one.'''
        lookups = []
        for path, err, lookup in self.bad_paths():
            with self.subTest(path=path[:80]):
                if lookup:
                    self.refused(POOL, method, sig, args_for(path), err, users=('root',))
                    lookups.append((path, err))
                else:
                    self.refused(POOL, method, sig, args_for(path), err)
        self.assertEqual(polkit_checks(), [])
        for path, _ in lookups:
            self.refused(POOL, method, sig, args_for(path), ACCESS_DENIED, users=('nobody',))
        self.assertEqual(polkit_checks(), [(MOVEMENT, 0)] * len(lookups))
        mock('SetAllowed', '(as)', [[MOVEMENT]])
        for path, err in lookups:
            self.refused(POOL, method, sig, args_for(path), err, users=('nobody',))
        mock('SetAllowed', '(as)', [[]])
        mock('ClearCalls')

    def test_bad_move(self):
        ia = E + 'InvalidArgument'
        self.bad_path_args('Move', '(sya{sv})', lambda path: [path, 1, {}])
        f = POOL_MNT + '/file'
        self.refused(POOL, 'Move', '(sya{sv})', [f, 2, {}], ia, contains='tier 2')
        self.refused(POOL, 'Move', '(sya{sv})', [f, 255, {}], ia)
        self.refused(POOL, 'Move', '(sya{sv})', [f, 1, {'force': v('s', 'yes')}], ia)
        self.refused(POOL, 'Move', '(sya{sv})', [f, 1, {'speed': v('u', 1)}], ia)
        self.refused(POOL, 'Move', '(sua{sv})', [f, 1, {}], INVALID_ARGS)
        self.assertEqual(polkit_checks(), [])
        self.refused(POOL, 'Move', '(sya{sv})', [POOL_MNT + '/dir', 1, {}], ia, users=('root',))
        self.refused(POOL, 'Move', '(sya{sv})', [f, 1, {}], ACCESS_DENIED, users=('nobody',))
        if not MODULE_LOADED:
            self.refused(POOL, 'Move', '(sya{sv})', [f, 1, {}], E + 'NotLoaded', users=('root',))

    def test_bad_pin(self):
        ia = E + 'InvalidArgument'
        f = POOL_MNT + '/file'
        self.bad_path_args('Pin', '(ss)', lambda path: [path, 'pin_hot'])
        for pin in ('hot', 'PIN_HOT', '', 'pin_hardlink', 'pin_hot\n', 'x' * 10000):
            self.refused(POOL, 'Pin', '(ss)', [f, pin], ia)
        self.refused(POOL, 'Pin', '(s)', [f], INVALID_ARGS)
        self.assertEqual(polkit_checks(), [])
        self.refused(POOL, 'Pin', '(ss)', [f, 'pin_hot'], ACCESS_DENIED, users=('nobody',))
        if not MODULE_LOADED:
            self.refused(POOL, 'Pin', '(ss)', [f, 'pin_cold'], E + 'NotLoaded', users=('root',))

    def test_bad_set_policy(self):
        ia = E + 'InvalidArgument'
        cases = [
            {'bogus': v('u', 1)},
            {'target_fill': v('u', 50)},
            {'target_fill': v('y', 0)},
            {'target_fill': v('y', 101)},
            {'high_watermark': v('y', 70)},
            {'low_watermark': v('y', 90)},
            {'interval_sec': v('u', 1)},
            {'max_concurrent': v('u', 0)},
            {'max_bytes_per_sec': v('i', 5)},
            {'enabled': v('s', 'true')},
            {'quiet_hours': v('s', '25:00-03:00')},
            {'quiet_hours': v('s', '01:00-01:00')},
            {'quiet_hours': v('s', '1:00-03:00x')},
            {'target_fill': v('y', 50), 'bogus': v('b', True)},
            {'k%d' % i: v('b', True) for i in range(100)},
        ]
        for opts in cases:
            with self.subTest(opts=str(opts)[:80]):
                self.refused(POOL, 'SetPolicy', '(a{sv})', [opts], ia)
        self.refused(POOL, 'SetPolicy', '(a{ss})', [{'enabled': 'yes'}], INVALID_ARGS)
        self.assertEqual(polkit_checks(), [])
        r = call(POOL, 'SetPolicy', '(a{sv})', [{'quiet_hours': v('s', '23:30-06:00')}])
        self.assertTrue(r['ok'], r)
        self.assertEqual(get_prop(POOL, 'Policy')['quiet_hours'], '23:30-06:00')
        r = call(POOL, 'SetPolicy', '(a{sv})', [{'quiet_hours': v('s', '')}])
        self.assertTrue(r['ok'], r)

    def test_bad_plan_moves(self):
        ia = E + 'InvalidArgument'
        self.refused(POOL, 'PlanMoves', '(a{sv})', [{'bogus': v('u', 1)}], ia)
        self.refused(POOL, 'PlanMoves', '(a{sv})', [{'limit': v('s', '1')}], ia)
        r = call(POOL, 'PlanMoves', '(a{sv})', [{'limit': v('u', 5)}], user='nobody')
        self.assertTrue(r['ok'], r)


class TestSmoothfsdUnderFuzz(unittest.TestCase):
    '''Random calls to every method (tests/dbus/fuzz-calls.py), after the
    tests above: the daemon (ASan) never crashes and stays consistent;
    nobody's calls change nothing.  SMOOTHFS_DBUS_FUZZ_CALLS sets the
    number of calls per caller, SMOOTHFS_DBUS_FUZZ_SEED the seed.'''

    calls = int(os.environ.get('SMOOTHFS_DBUS_FUZZ_CALLS', '3000'))
    seed = int(os.environ.get('SMOOTHFS_DBUS_FUZZ_SEED', str(int(time.time()))))

    @classmethod
    def setUpClass(cls):
        Daemon.start()

    @classmethod
    def tearDownClass(cls):
        Daemon.stop()

    def fuzz(self, user, seed):
        cmd = ['/usr/bin/python3', os.path.join(TMP, 'fuzz-calls.py'), str(seed),
               str(self.calls), MNT, 'no-destroy']
        if user != 'root':
            cmd = ['runuser', '-u', user, '--', 'env',
                   'DBUS_SYSTEM_BUS_ADDRESS=' + os.environ['DBUS_SYSTEM_BUS_ADDRESS'],
                   'TOP=' + TMP] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800,
                             env=dict(os.environ, TOP=TMP))
        print('\n# fuzz as %s, seed %d: %s' % (user, seed, out.stdout.strip()),
              file=sys.stderr)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        stats = json.loads(out.stdout)
        self.assertIsNone(Daemon.proc.poll(), 'smoothfsd died')
        return stats

    def assertConsistent(self):
        pools = res(call(MANAGER, 'ListPools'))[0]
        objs = res(call(('/org/smoothfs1', 'org.freedesktop.DBus.ObjectManager'),
                        'GetManagedObjects'))[0]
        self.assertEqual(sorted(pools),
                         sorted(p for p, i in objs.items() if 'org.smoothfs1.Pool' in i))
        con = sqlite3.connect(DB)
        try:
            self.assertEqual(con.execute('PRAGMA integrity_check').fetchone(), ('ok',))
            names = sorted(r[0] for r in con.execute('SELECT name FROM pools'))
        finally:
            con.close()
        self.assertEqual(names, sorted(objs[p]['org.smoothfs1.Pool']['Name'] for p in pools))
        for p in pools:
            props = get_all((p, 'org.smoothfs1.Pool'))
            self.assertIn(props['State'], ('mounted', 'unmounted', 'quiesced', 'degraded'))
            pol = props['Policy']
            self.assertTrue(1 <= pol['target_fill'] <= 100, pol)
            self.assertLess(pol['low_watermark'], pol['high_watermark'], pol)

    def test_fuzz(self):
        mock('SetAllowed', '(as)', [[]])
        before = snapshot()
        stats = self.fuzz('nobody', self.seed)
        self.assertEqual(snapshot(), before, "nobody's random calls changed state")
        self.assertGreater(stats['calls'], self.calls // 2)
        stats = self.fuzz('root', self.seed + 1)
        self.assertGreater(stats['ok'], 0)
        self.assertConsistent()
        # and it still answers what it answered before
        self.assertEqual(res(call(MANAGER, 'GetPool', '(s)', ['tank'])), [POOL_PATH])


if __name__ == '__main__':
    unittest.main(verbosity=2)
