"""fakeircd — a small scripted IRC server on a WebSocket listener (aiohttp), for what the
real InspIRCd in the tests cannot show: SASL (InspIRCd needs services for it), the IRCv3
subprotocol names (InspIRCd 3 only offers its own), no subprotocol at all, a server without
CAP, and a server that goes silent. It records every connection's handshake and frames.

The server runs its event loop on a thread; the test thread waits on what it records
(with deadlines) and injects lines with Conn.send_threadsafe."""
import asyncio
import base64
import logging
import socket
import threading
import time

from aiohttp import WSMsgType, web

from ircd import parse_line

# aiohttp warns when a client offers subprotocols the server does not take: that is the case
# under test, not a problem.
logging.getLogger("aiohttp").setLevel(logging.ERROR)


class Conn:
    """One client connection: its handshake and every line it sent."""

    def __init__(self, ws, request, loop):
        self.ws = ws
        self.loop = loop
        self.origin = request.headers.get("Origin")
        self.offered = request.headers.get("Sec-WebSocket-Protocol", "")
        self.protocol = ws.ws_protocol
        self.lines = []        # text of every frame the client sent
        self.frame_kinds = set()
        self.bad_frames = []   # frames holding CR or LF (one line per frame, without them)
        self.sasl = []         # decoded SASL PLAIN payloads
        self.registered = threading.Event()
        self.closed = threading.Event()

    def binary(self):
        return bool(self.protocol) and self.protocol.startswith("binary.")

    async def send(self, line):
        if self.binary():
            await self.ws.send_bytes(line.encode())
        else:
            await self.ws.send_str(line)

    def send_threadsafe(self, line):
        asyncio.run_coroutine_threadsafe(self.send(line), self.loop).result(5)


class FakeIRCd:
    """protocols: the subprotocols the server accepts (the first the client offers wins;
    [] = answer without one). The other options script the server's behaviour."""

    def __init__(self, protocols, cap=True, sasl_password=None, answer_ping=True):
        self.protocols = protocols
        self.cap = cap
        self.sasl_password = sasl_password
        self.answer_ping = answer_ping
        self.conns = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = "ws://127.0.0.1:%d/irc" % self.port
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def __exit__(self, *exc):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_get("/irc", self._handle)
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        self.loop.run_until_complete(web.TCPSite(self.runner, "127.0.0.1", self.port).start())
        self.ready.set()
        self.loop.run_forever()

    async def _handle(self, request):
        ws = web.WebSocketResponse(protocols=self.protocols, heartbeat=None)
        await ws.prepare(request)
        conn = Conn(ws, request, self.loop)
        self.conns.append(conn)
        try:
            await self._serve(conn)
        finally:
            conn.closed.set()
        return ws

    async def _serve(self, c):
        nick = user = None
        negotiating = False
        async for msg in c.ws:
            if msg.type == WSMsgType.TEXT:
                data = msg.data
            elif msg.type == WSMsgType.BINARY:
                data = msg.data.decode("utf-8", "replace")
            else:
                break
            c.frame_kinds.add(msg.type.name)
            if "\r" in data or "\n" in data:
                c.bad_frames.append(data)
            c.lines.append(data)
            tags, _, cmd, params = parse_line(data)
            p0 = params[0] if params else ""
            if cmd == "CAP" and not self.cap:
                await c.send(":fake 421 * CAP :Unknown command")
            elif cmd == "CAP" and p0 == "LS":
                negotiating = True
                await c.send(":fake CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL")
                await c.send(":fake CAP * LS :message-tags account-tag server-time")
            elif cmd == "CAP" and p0 == "REQ":
                await c.send(":fake CAP * ACK :%s" % params[1])
            elif cmd == "CAP" and p0 == "END":
                negotiating = False
            elif cmd == "AUTHENTICATE" and p0 == "PLAIN":
                await c.send("AUTHENTICATE +")
            elif cmd == "AUTHENTICATE":
                fields = base64.b64decode(p0).split(b"\0")
                c.sasl.append(fields)
                if len(fields) == 3 and fields[2].decode() == self.sasl_password:
                    await c.send(":fake 900 %s %s!u@h %s :You are now logged in" % (
                        nick or "*", nick or "*", fields[1].decode()))
                    await c.send(":fake 903 %s :SASL authentication successful" % (nick or "*"))
                else:
                    await c.send(":fake 904 %s :SASL authentication failed" % (nick or "*"))
            elif cmd == "NICK":
                nick = p0
            elif cmd == "USER":
                user = p0
            elif cmd == "PING" and self.answer_ping:
                await c.send(":fake PONG fake :%s" % (params[-1] if params else ""))
            elif cmd == "QUIT":
                await c.ws.close()
                break
            if nick and user and not negotiating and not c.registered.is_set():
                await c.send(":fake 001 %s :Welcome to FakeNet %s!%s@fake.host" % (nick, nick, user))
                await c.send(":fake 005 %s CHANTYPES=# CASEMAPPING=ascii :are supported" % nick)
                c.registered.set()

    def wait_conns(self, n, timeout):
        """The first n connections, once that many have come."""
        deadline = time.monotonic() + timeout
        while len(self.conns) < n:
            if time.monotonic() > deadline:
                raise TimeoutError("%d connection(s) wanted, %d came" % (n, len(self.conns)))
            time.sleep(0.02)
        return self.conns[:n]
