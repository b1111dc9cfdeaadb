#!/usr/bin/python3
"""The IRC test server itself: InspIRCd starts as the irc user, a person registers over TCP,
a WebSocket client registers with each subprotocol (and with none), lines arrive one per
frame, and the server restarts on the same ports. If this fails, the adapter tests cannot
mean anything."""
import asyncio
import os
import sys

import aiohttp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ircd import IRCd, Person, TAP, accepts, parse_line  # noqa: E402


async def ws_register(url, protocols, nick):
    """Registers over WebSocket; returns (negotiated protocol, frame types, lines until 001)."""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, protocols=protocols, origin="http://test.local",
                                      timeout=10) as ws:
            for line in ("NICK %s" % nick, "USER %s 0 * :ws test" % nick):
                if protocols and protocols[0].startswith("binary"):
                    await ws.send_bytes(line.encode())
                else:
                    await ws.send_str(line)
            kinds, lines = set(), []
            while True:
                msg = await asyncio.wait_for(ws.receive(), 10)
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise ConnectionError("websocket closed: %r" % (msg,))
                kinds.add(msg.type.name)
                data = msg.data if isinstance(msg.data, str) else msg.data.decode()
                lines.append(data)
                if parse_line(data)[2] == "001":
                    return ws.protocol, kinds, lines


def main():
    tap = TAP()
    with IRCd() as ircd:
        tap.ok(True, "inspircd accepts on TCP %d and WebSocket %d" % (ircd.tcp_port, ircd.ws_port))
        ann = Person(ircd.tcp_port, "ann")
        tap.ok(True, "a person registers over TCP")
        for protocols, want_kind in ((["text.inspircd.org"], "TEXT"),
                                     (["binary.inspircd.org"], "BINARY"),
                                     ([], "TEXT")):
            name = protocols[0] if protocols else "no subprotocol"
            try:
                proto, kinds, lines = asyncio.run(ws_register(ircd.url, protocols, "ws%d" % tap.n))
                one_line = all("\r" not in l and "\n" not in l for l in lines)
                tap.ok(proto == (protocols[0] if protocols else None) and kinds == {want_kind}
                       and one_line, "websocket %s: 001, one line per %s frame" % (name, want_kind),
                       "protocol %r kinds %r lines %r" % (proto, kinds, lines[:3]))
            except Exception as e:  # noqa: BLE001 - report any failure as not ok
                tap.ok(False, "websocket %s: 001" % name, "%r\n%s" % (e, ircd.log()))
        ann.close()
        ircd.stop()
        ircd.start()
        bob = Person(ircd.tcp_port, "bob")
        tap.ok(True, "restarted on the same ports; a person registers again")
        bob.close()
        ircd.stop()
        ircd.start(ws=False)
        tap.ok(not accepts(ircd.ws_port), "started without the WebSocket listener")
        ircd.enable_ws()
        proto, kinds, lines = asyncio.run(ws_register(ircd.url, ["text.inspircd.org"], "late"))
        tap.ok(proto == "text.inspircd.org", "a rehash adds the WebSocket listener")
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
