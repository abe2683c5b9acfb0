#!/usr/bin/python3
'''One D-Bus method call on the system bus ($DBUS_SYSTEM_BUS_ADDRESS), for
tests/dbus/test-smoothfsd.py, which runs it as other users too.

    client.py '{"path": ..., "iface": ..., "method": ..., "sig": "(s)",
                "args": [...], "interactive": false}'

(or the JSON on stdin).

Values of "v" type are written {"$v": "<signature>", "value": ...}.
Prints {"ok": true, "result": [...]} or {"ok": false, "error": name,
"message": text} as JSON.'''

import json
import sys

from gi.repository import Gio, GLib

DEST = 'org.smoothfs1'


def to_gvalue(x):
    if isinstance(x, dict) and '$v' in x:
        return GLib.Variant(x['$v'], to_gvalue(x['value']))
    if isinstance(x, dict):
        return {k: to_gvalue(v) for k, v in x.items()}
    if isinstance(x, list):
        return [to_gvalue(v) for v in x]
    return x


def call(req):
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    flags = Gio.DBusCallFlags.NONE
    if req.get('interactive'):
        flags = Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION
    params = None
    if req.get('sig', '()') != '()':
        params = GLib.Variant(req['sig'], tuple(to_gvalue(a) for a in req['args']))
    try:
        res = bus.call_sync(req.get('dest', DEST), req['path'], req['iface'], req['method'],
                            params, None, flags, req.get('timeout_ms', 20000), None)
        return {'ok': True, 'result': res.unpack() if res is not None else []}
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e) or ''
        Gio.DBusError.strip_remote_error(e)
        return {'ok': False, 'error': name, 'message': e.message}


if __name__ == '__main__':
    print(json.dumps(call(json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()))))
