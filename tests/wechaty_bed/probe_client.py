"""Probe python-wechaty 0.10.7 against the Node wechaty bed (server.mjs).

Seed of the real end-to-end pytest. Run (needs `npm ci` done in this folder):

    /tmp/venvtest/bin/python tests/wechaty_bed/probe_client.py [--slow]

It prints one line per check and a closing "N passed, N failed" line; exit code 0 when
all passed. `--slow` adds the checks that take > 60 s (python-wechaty's own reconnect).
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))

# --- shims and guards that must run before `import wechaty` -------------------------
# 1. wechaty/config.py + schema.py read CACHE_DIR at import time and create the folder
#    (default: ./.wechaty in the cwd) for the scheduler's sqlite job store.
os.environ.setdefault('CACHE_DIR', tempfile.mkdtemp(prefix='wechaty-cache-'))

# 2. Record every outbound connect / name lookup, to prove nothing but loopback is used.
NET_LOG: List[tuple] = []


def _audit(event: str, args: tuple) -> None:
    if event == 'socket.connect':
        NET_LOG.append(('connect', args[1]))
    elif event == 'socket.getaddrinfo':
        NET_LOG.append(('getaddrinfo', args[0]))


sys.addaudithook(_audit)

# 3. Python 3.11 dataclasses refuse the unhashable PuppetOptions() used as the default of
#    WechatyOptions.puppet_options ("mutable default ... is not allowed").
from wechaty_puppet.schemas.puppet import PuppetOptions  # noqa: E402

PuppetOptions.__hash__ = object.__hash__  # type: ignore[assignment]

from wechaty import Contact, Message, Room, Wechaty, WechatyOptions  # noqa: E402

RESULTS: List[tuple] = []


def check(name: str, cond: bool, detail: Any = '') -> None:
    RESULTS.append((name, bool(cond)))
    print(f"{'PASS' if cond else 'FAIL'}  {name}  {detail}", flush=True)


class Waiter:
    """A list of recorded items plus a way to wait for one matching a predicate."""

    def __init__(self) -> None:
        self.items: List[Dict[str, Any]] = []
        self.cond = asyncio.Condition()

    async def add(self, item: Dict[str, Any]) -> None:
        item.setdefault('_t', time.perf_counter())
        async with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    async def wait(self, pred: Callable[[dict], bool], timeout: float = 5.0, start: int = 0) -> dict:
        async with self.cond:
            def find() -> Optional[dict]:
                return next((i for i in self.items[start:] if pred(i)), None)
            await asyncio.wait_for(self.cond.wait_for(lambda: find() is not None), timeout)
            return find()  # type: ignore[return-value]


class Bed:
    """The Node test bed as a subprocess, steered by JSON lines."""

    async def start(self, port: int = 0) -> float:
        t0 = time.perf_counter()
        self.stderr = open(os.path.join(tempfile.gettempdir(), 'wechaty-bed.stderr'), 'w')
        self.proc = await asyncio.create_subprocess_exec(
            'node', os.path.join(HERE, 'server.mjs'), '--port', str(port),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self.stderr)
        self.events, self.pending, self.seq = Waiter(), {}, 0
        self.reader = asyncio.create_task(self._read())
        ev = await self.events.wait(lambda e: e.get('event') == 'listening', timeout=30)
        self.port, self.token = ev['port'], ev['token']
        return time.perf_counter() - t0

    async def _read(self) -> None:
        async for raw in self.proc.stdout:  # type: ignore[union-attr]
            obj = json.loads(raw)
            obj['_t'] = time.perf_counter()
            if 'ok' in obj:
                self.pending.pop(obj.get('seq')).set_result(obj)
            else:
                await self.events.add(obj)

    async def cmd(self, cmd: str, **kw: Any) -> dict:
        self.seq += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[self.seq] = fut
        line = json.dumps({'cmd': cmd, 'seq': self.seq, **kw}) + '\n'
        self.proc.stdin.write(line.encode())  # type: ignore[union-attr]
        await self.proc.stdin.drain()  # type: ignore[union-attr]
        res = await asyncio.wait_for(fut, 10)
        if not res['ok']:
            raise RuntimeError(f'bed: {res["error"]}')
        return res

    async def close(self) -> None:
        try:
            await self.cmd('quit')
        except Exception:  # pylint: disable=broad-except
            pass
        await asyncio.wait_for(self.proc.wait(), 10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def build_bot(endpoint: str, token: str, rec: Waiter) -> Wechaty:
    """A fresh client. Always pass a *new* PuppetOptions(): the dataclass default is one
    object shared by every WechatyOptions(), and PuppetService writes endpoint/token into it."""
    os.environ['WECHATY_PUPPET_SERVICE_ENDPOINT'] = endpoint
    os.environ['WECHATY_PUPPET_SERVICE_TOKEN'] = token
    # port: the plugin manager refuses to log in if something listens on 127.0.0.1:<port>
    bot = Wechaty(WechatyOptions(puppet_options=PuppetOptions(), port=free_port()))

    async def on_login(contact: Contact) -> None:
        await rec.add({'kind': 'login', 'id': contact.contact_id})

    async def on_ready(payload: Any) -> None:
        await rec.add({'kind': 'ready'})

    async def on_message(msg: Message) -> None:
        t = time.perf_counter()
        room, to = msg.room(), msg.to()
        item = dict(kind='message', _t=t, id=msg.message_id, talker=msg.talker().contact_id,
                    room=room.room_id if room else None, to=to.contact_id if to else None,
                    text=msg.text(), mentions=list(msg.payload.mention_ids),
                    mention_self=await msg.mention_self(), is_self=msg.is_self(),
                    mention_list=[c.contact_id for c in await msg.mention_list()],
                    type=msg.type(), date=msg.date())
        if not item['is_self'] and item['text'] == 'ping':
            await msg.say('pong')
        if not item['is_self'] and item['text'] == 'ping@':
            await room.say('pong', [item['talker']])  # type: ignore[union-attr]
        await rec.add(item)

    async def on_room_join(room: Room, invitees: List[Contact], inviter: Contact, date: datetime) -> None:
        await rec.add(dict(kind='room-join', room=room.room_id, invitees=[c.contact_id for c in invitees],
                           inviter=inviter.contact_id, date=date))

    async def on_room_leave(room: Room, leavers: List[Contact], remover: Contact, date: datetime) -> None:
        await rec.add(dict(kind='room-leave', room=room.room_id, leavers=[c.contact_id for c in leavers],
                           remover=remover.contact_id, date=date))

    async def on_error(err: Any) -> None:
        await rec.add({'kind': 'error', 'error': repr(err)})

    for name, fn in [('login', on_login), ('ready', on_ready), ('message', on_message),
                     ('room-join', on_room_join), ('room-leave', on_room_leave), ('error', on_error)]:
        bot.on(name, fn)
    return bot


async def run_bot(bot: Wechaty) -> None:
    """Wechaty.start() minus its error handling (60 s sleep + restart, or loop.stop()).
    Returns when the event stream ends, raises when the connection breaks."""
    await bot.init_puppet()
    await bot.init_puppet_event_bridge(bot.puppet)
    await bot.puppet.start()  # connects, stop()+start() the server puppet, then streams


async def close_bot(bot: Wechaty, task: Optional[asyncio.Task]) -> None:
    """Tear a client down so that a new one can be built in the same process."""
    puppet = bot._puppet  # pylint: disable=protected-access
    try:
        await asyncio.wait_for(bot.stop(), 3)  # stop() RPC fails when the server is gone
    except Exception:  # pylint: disable=broad-except
        pass
    if puppet is not None and getattr(puppet, 'channel', None) is not None:
        puppet.channel.close()
        puppet.channel = None
    if task is not None:  # its outcome (often StreamTerminatedError) is of no interest now
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    scheduler = bot._plugin_manager.scheduler  # pylint: disable=protected-access
    if scheduler.running:
        scheduler.shutdown(wait=False)
    # Contact/Room instances are cached in class-level pools shared by every client
    # (bot.Contact etc. are subclasses made by init_puppet); drop them.
    Contact._pool.clear()  # pylint: disable=protected-access
    Room._pool.clear()  # pylint: disable=protected-access


async def refresh(room: Room) -> None:
    """Refetch a room payload. room.ready(force_sync=True) returns early once a payload is
    there, and str(room) raises while it is None, so drop it and refetch at once."""
    room._payload = None  # pylint: disable=protected-access
    await room.ready()


async def roundtrip(bed: Bed, rec: Waiter, n: int = 20) -> List[float]:
    times = []
    for _ in range(n):
        start = len(bed.events.items)
        t0 = time.perf_counter()
        await bed.cmd('room_message', room='room1@chatroom', **{'from': 'carol'}, text='ping')
        ev = await bed.events.wait(lambda e: e['event'] == 'sent' and e['text'] == 'pong', start=start)
        times.append((ev['_t'] - t0) * 1000)
    return times


async def main(slow: bool) -> None:  # pylint: disable=too-many-locals,too-many-statements
    bed = Bed()
    t_bed = await bed.start()
    check('bed listening', bed.port > 0, f'port={bed.port} token={bed.token} in {t_bed:.2f}s')
    endpoint = f'127.0.0.1:{bed.port}'

    # ---- client 1: the official bot.start() --------------------------------------------
    rec = Waiter()
    bot = build_bot(endpoint, bed.token, rec)
    t0 = time.perf_counter()
    task = asyncio.create_task(bot.start())
    login = await rec.wait(lambda i: i['kind'] == 'login', 10)
    await rec.wait(lambda i: i['kind'] == 'ready', 10)
    check('login + ready seen', login['id'] == 'kocbot', f'{time.perf_counter() - t0:.3f}s after start()')
    check('bot.start() keeps running while connected', not task.done())

    n = len(rec.items)
    r = await bed.cmd('room_message', room='room1@chatroom', **{'from': 'alice'},
                      text='@KOC Bot\u2005@Bob hello', mentions=['kocbot', 'bob'])
    m = await rec.wait(lambda i: i['kind'] == 'message' and i['id'] == r['id'], start=n)
    check('room message: talker/room/text (to() is a Contact with id "")', (m['talker'], m['room'], m['text'], m['to'])
          == ('alice', 'room1@chatroom', '@KOC Bot\u2005@Bob hello', ''), m)
    check('room message: mention ids + mention_self', m['mentions'] == ['kocbot', 'bob']
          and m['mention_list'] == ['kocbot', 'bob'] and m['mention_self'] and not m['is_self'])
    check('room message: type/date', str(m['type']) == 'MessageType.MESSAGE_TYPE_TEXT'
          and abs((datetime.now() - m['date']).total_seconds()) < 60, (m['type'], m['date']))

    r = await bed.cmd('room_message', room='room1@chatroom', **{'from': 'alice'}, text='@Bob hi', mentions=['bob'])
    m = await rec.wait(lambda i: i['kind'] == 'message' and i['id'] == r['id'], start=n)
    check('room message without the bot: mention_self False', m['mentions'] == ['bob'] and not m['mention_self'])

    r = await bed.cmd('dm', **{'from': 'alice'}, text='/help')
    m = await rec.wait(lambda i: i['kind'] == 'message' and i['id'] == r['id'], start=n)
    check('DM arrives', (m['talker'], m['room'], m['to'], m['text'], m['mentions'])
          == ('alice', None, 'kocbot', '/help', []), m)

    room = bot.Room.load('room1@chatroom')
    await room.ready()
    check('room payload', (room.payload.topic, room.payload.owner_id, list(room.payload.admin_ids))
          == ('KOC group 1', 'mod', ['mod']), room.payload)
    n_ev, n = len(bed.events.items), len(rec.items)
    sent_msg = await room.say('welcome', ['alice', 'bob'])
    ev = await bed.events.wait(lambda e: e['event'] == 'sent', start=n_ev)
    check('room.say(text, mention_ids) reaches the bed', ev['conversation'] == 'room1@chatroom'
          and ev['mentions'] == ['alice', 'bob'] and ev['text'] == '@Alice\u2005@Bob welcome', ev)
    check('room.say returns the sent Message', sent_msg is not None and sent_msg.message_id == ev['id'])
    echo = await rec.wait(lambda i: i['kind'] == 'message' and i['id'] == ev['id'], start=n)
    check('own message echoed with is_self()', echo['is_self'] and echo['talker'] == 'kocbot'
          and echo['mentions'] == ['alice', 'bob'], echo)

    n_ev = len(bed.events.items)
    alice = bot.Contact.load('alice')
    await alice.ready()
    sent_msg = await alice.say('hi alice')
    ev = await bed.events.wait(lambda e: e['event'] == 'sent', start=n_ev)
    check('contact.say(text) reaches the bed', (ev['conversation'], ev['text'], ev['mentions'])
          == ('alice', 'hi alice', []) and sent_msg.message_id == ev['id'], ev)

    times = await roundtrip(bed, rec)
    check('round trip (bed event -> handler -> msg.say -> bed)', max(times) < 1000,
          f'median {statistics.median(times):.1f} ms, max {max(times):.1f} ms over {len(times)}')
    n_ev = len(bed.events.items)
    await bed.cmd('room_message', room='room2@chatroom', **{'from': 'dave'}, text='ping@')
    ev = await bed.events.wait(lambda e: e['event'] == 'sent', start=n_ev)
    check('reply with mention from a handler', (ev['conversation'], ev['mentions']) == ('room2@chatroom', ['dave']), ev)

    # ---- membership ------------------------------------------------------------------------
    n = len(rec.items)
    await bed.cmd('join', room='room1@chatroom', members=['dave'], inviter='mod')
    j = await rec.wait(lambda i: i['kind'] == 'room-join', start=n)
    check('room-join(room, invitees, inviter, date)', (j['room'], j['invitees'], j['inviter'])
          == ('room1@chatroom', ['dave'], 'mod') and isinstance(j['date'], datetime), j)
    members = [c.contact_id for c in await room.member_list()]
    check('member_list() is live', 'dave' in members, members)
    await room.ready(force_sync=True)
    stale = 'dave' not in room.payload.member_ids
    check('room.ready(force_sync=True) is a no-op once ready (payload stays stale)', stale, list(room.payload.member_ids))
    check('Room has no sync() in 0.10.7', not hasattr(room, 'sync'))
    await refresh(room)
    check('payload refetched after dropping room._payload', 'dave' in room.payload.member_ids)
    n = len(rec.items)
    await bed.cmd('leave', room='room1@chatroom', members=['dave'], remover='mod')
    lv = await rec.wait(lambda i: i['kind'] == 'room-leave', start=n)
    check('room-leave(room, leavers, remover, date)', (lv['room'], lv['leavers'], lv['remover'])
          == ('room1@chatroom', ['dave'], 'mod'), lv)
    await bed.cmd('set_room', room='room1@chatroom', owner='alice', admins=['alice', 'mod'])
    await refresh(room)
    owner = await room.owner()
    check('owner/admins after set_room', owner.contact_id == 'alice' and list(room.payload.admin_ids) == ['alice', 'mod'])

    # ---- drop with the official start(): what happens --------------------------------------
    t0 = time.perf_counter()
    await bed.cmd('drop')
    await asyncio.sleep(2)
    check('official start(): after a drop the task neither ends nor raises (it sleeps 60 s)', not task.done())
    try:
        await asyncio.wait_for(alice.say('during drop'), 5)
        err = 'no error'
    except Exception as e:  # pylint: disable=broad-except
        err = f'{type(e).__module__}.{type(e).__name__}: {e}'
    check('API call while dropped raises at once', err != 'no error', err)
    await bed.cmd('restore')
    if slow:  # start() sleeps 60 s, then restart(): reconnects, but login fails in the
        n = len(rec.items)  # plugin manager ("Scheduler is already running", only logged)
        await asyncio.sleep(62)
        kinds = [i['kind'] for i in rec.items[n:]]
        check('official start() 60 s after a drop: ready again but no login event',
              not task.done() and 'ready' in kinds and 'login' not in kinds, kinds)
    await close_bot(bot, task)

    # ---- client 2: rebuilt in the same process, driven by run_bot() -------------------------
    rec2 = Waiter()
    bot2 = build_bot(endpoint, bed.token, rec2)
    t0 = time.perf_counter()
    task2 = asyncio.create_task(run_bot(bot2))
    await rec2.wait(lambda i: i['kind'] == 'login', 10)
    check('rebuilt client logs in after restore', True, f'{time.perf_counter() - t0:.3f}s')
    check('pools were cleared: fresh Contact objects', bot2.Contact.load('alice') is not alice)
    n_old = len(rec.items)
    r = await bed.cmd('room_message', room='room2@chatroom', **{'from': 'dave'}, text='again', mentions=['kocbot'])
    m = await rec2.wait(lambda i: i['kind'] == 'message' and i['id'] == r['id'])
    check('rebuilt client receives messages; old one does not', m['mention_self'] and len(rec.items) == n_old)
    n_ev = len(bed.events.items)
    await bot2.Room.load('room2@chatroom').say('back', ['dave'])
    ev = await bed.events.wait(lambda e: e['event'] == 'sent', start=n_ev)
    check('rebuilt client sends', ev['mentions'] == ['dave'], ev)

    t0 = time.perf_counter()
    await bed.cmd('drop')
    done, _ = await asyncio.wait([task2], timeout=5)
    exc = task2.exception() if done else None
    check('run_bot(): a drop ends the task at once', bool(done),
          f'{time.perf_counter() - t0:.3f}s, ' + (f'{type(exc).__module__}.{type(exc).__name__}: {exc}' if exc else 'returned normally'))
    await close_bot(bot2, task2)

    rec3 = Waiter()
    bot3 = build_bot(endpoint, bed.token, rec3)
    try:
        await asyncio.wait_for(run_bot(bot3), 5)
        err = 'no error'
    except Exception as e:  # pylint: disable=broad-except
        err = f'{type(e).__module__}.{type(e).__name__}: {e}'
    check('run_bot() with the bed down fails at once', err != 'no error', err)
    await close_bot(bot3, None)
    await bed.cmd('restore')
    rec3 = Waiter()
    bot3 = build_bot(endpoint, bed.token, rec3)
    task3 = asyncio.create_task(run_bot(bot3))
    await rec3.wait(lambda i: i['kind'] == 'login', 10)
    check('third client after restore logs in', True)
    await close_bot(bot3, task3)
    await bed.close()
    check('bed exits on quit', bed.proc.returncode == 0, bed.proc.returncode)

    hosts = {str(a[1][0] if isinstance(a[1], tuple) else a[1]) for a in NET_LOG}
    check('only loopback was contacted (no discovery service)', hosts <= {'127.0.0.1', 'localhost'}, sorted(hosts))


def official_start_while_down() -> None:
    """Child process: what bot.start() does when nothing listens at the endpoint."""
    async def go() -> None:
        rec = Waiter()
        bot = build_bot(f'127.0.0.1:{free_port()}', 'insecure_nobody', rec)
        await bot.start()  # logs a traceback, calls loop.stop() and returns
        print('start() returned', flush=True)
        await asyncio.sleep(0.5)  # never resumes: the loop was stopped
        print('still running', flush=True)
    try:
        asyncio.run(go())
    except RuntimeError as e:
        print(f'asyncio.run raised RuntimeError: {e}', flush=True)


if __name__ == '__main__':
    if '--child-start-while-down' in sys.argv:
        official_start_while_down()
        sys.exit(0)
    asyncio.run(main('--slow' in sys.argv))
    child = subprocess.run([sys.executable, __file__, '--child-start-while-down'],
                           capture_output=True, text=True, timeout=60, check=False)
    last = (child.stdout.strip().splitlines() or [''])[-1]
    check('official start() with the endpoint down stops the event loop', 'Event loop stopped' in last, last)
    passed = sum(ok for _, ok in RESULTS)
    print(f'{passed} passed, {len(RESULTS) - passed} failed')
    sys.exit(0 if passed == len(RESULTS) else 1)
