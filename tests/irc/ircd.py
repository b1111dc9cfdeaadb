"""ircd — a real InspIRCd 3 for the IRC tests, and a plain TCP IRC client for the test person.

IRCd writes a configuration into a temporary directory: a plain TCP listener (the test person),
a WebSocket listener (the coach), the websocket module with any Origin allowed, and two
connection classes: the person's with no flood limit, the coach's with a real one (penalty
threshold and command rate, no fakelag) so flooding gets the coach disconnected. It runs
inspircd in the foreground as the `irc` user (it refuses root), waits until both ports accept,
and can stop and start again on the same ports. Nothing here sleeps blindly: every wait polls
a condition against a deadline.
"""
import os
import pwd
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import re
import time

INSPIRCD = "/usr/sbin/inspircd"

# The coach's class: at most THRESHOLD lines of penalty, drained by RATE lines once a second;
# past that InspIRCd kills the connection with "Excess Flood". A coach stays under it when
# its burst + rate < THRESHOLD and rate <= RATE (the drain comes once a second).
COACH_THRESHOLD = 30
COACH_RATE = 30

CONFIG = """\
<server name="irc.test" description="securebase test server" network="TestNet">
<admin name="test" nick="test" email="test@localhost">
<path configdir="{dir}" datadir="{dir}" logdir="{dir}">
<pid file="{dir}/inspircd.pid">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="{dir}/ircd.log">
<dns server="127.0.0.1" timeout="1">
<bind address="127.0.0.1" port="{tcp_port}" type="clients">
{ws_bind}{tls}<module name="sha1">
<module name="websocket">
<module name="ircv3">
<module name="ircv3_servertime">
<module name="ircv3_accounttag">
<module name="ircv3_ctctags">
<module name="cap">
<module name="services_account">
<websocket defaultmode="text">
<wsorigin allow="*">
<connect name="person" allow="*" port="{tcp_port}" timeout="30" pingfreq="300"
         hardsendq="4M" softsendq="1M" recvq="1M" threshold="100000" commandrate="10000000"
         fakelag="no" localmax="200" globalmax="200" resolvehostnames="no" useident="no"
         limit="5000">
<connect name="coach" allow="*" port="{coach_ports}" timeout="30" pingfreq="300"
         hardsendq="4M" softsendq="1M" recvq="16K" threshold="{threshold}"
         commandrate="{rate_milli}" fakelag="no" localmax="200" globalmax="200"
         resolvehostnames="no" useident="no" limit="5000">
<channels users="100" opers="100">
<limits maxnick="30" maxchan="64" maxmodes="20" maxident="10" maxhost="64" maxquit="255"
        maxtopic="307" maxkick="255" maxreal="128" maxaway="200">
<options prefixquit="Quit: " syntaxhints="no" announcets="no" hostintopic="yes"
         pingwarning="15" splitwhois="no" exemptchanops="">
<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no"
          hideulines="no" hidebans="no" maxtargets="20">
<performance netbuffersize="10240" somaxconn="128" softlimit="1024" clonesonconnect="no"
             timeskipwarn="2s" quietbursts="yes">
<whowas groupsize="10" maxgroups="100000" maxkeep="3d">
<badnick nick="ChanServ" reason="Reserved for a services bot">
"""


def free_port():
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout, what):
    """Polls condition() until it returns something true; raises TimeoutError naming what."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(0.02)


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


TLS_CONFIG = """\
<module name="ssl_gnutls">
<sslprofile name="wss" provider="gnutls" certfile="{dir}/cert.pem" keyfile="{dir}/key.pem"
            requestclientcert="no">
<bind address="127.0.0.1" port="{wss_port}" type="clients" hook="websocket" sslprofile="wss">
"""


class IRCd:
    """One InspIRCd in a temporary directory. Use as a context manager. With tls=True it
    also listens for wss:// on wss_port with a self-signed certificate for "localhost"
    (cert.pem in the directory, which also serves as the CA file)."""

    def __init__(self, tls=False):
        self.dir = tempfile.mkdtemp(prefix="sb-ircd-")
        irc = pwd.getpwnam("irc")
        os.chown(self.dir, irc.pw_uid, irc.pw_gid)
        os.chmod(self.dir, 0o755)
        self.tcp_port = free_port()
        self.ws_port = free_port()
        self.conf = os.path.join(self.dir, "inspircd.conf")
        self.proc = None
        self.url = "ws://127.0.0.1:%d/" % self.ws_port
        self.tls = tls
        self.wss_port = free_port() if tls else None
        self.cert = os.path.join(self.dir, "cert.pem")
        if tls:
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                            "-keyout", key, "-out", self.cert],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for f in (key, self.cert):
                os.chown(f, irc.pw_uid, irc.pw_gid)

    def write_config(self, ws):
        bind = '<bind address="127.0.0.1" port="%d" type="clients" hook="websocket">\n' % self.ws_port
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(CONFIG.format(dir=self.dir, tcp_port=self.tcp_port, ws_port=self.ws_port,
                                  ws_bind=bind if ws else "", threshold=COACH_THRESHOLD,
                                  coach_ports=",".join(str(p) for p in (self.ws_port, self.wss_port) if p),
                                  tls=TLS_CONFIG.format(dir=self.dir, wss_port=self.wss_port)
                                  if self.tls else "",
                                  rate_milli=COACH_RATE * 1000))
        irc = pwd.getpwnam("irc")
        os.chown(self.conf, irc.pw_uid, irc.pw_gid)

    def enable_ws(self, timeout=10):
        """Adds the WebSocket listener to a server started with ws=False (rehash on SIGHUP)."""
        self.write_config(ws=True)
        self.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: accepts(self.ws_port), timeout, "the WebSocket listener after a rehash")

    def start(self, timeout=15, ws=True):
        """Starts the server and returns once its listeners accept connections (the
        WebSocket one only when ws; see enable_ws)."""
        self.write_config(ws)
        out = open(os.path.join(self.dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(
            [INSPIRCD, "--nofork", "--nopid", "--config", self.conf],
            user="irc", group="irc", extra_groups=[], cwd=self.dir,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("inspircd exited with %d:\n%s" % (self.proc.returncode, self.log()))
            return (accepts(self.tcp_port) and (not ws or accepts(self.ws_port)) and
                    (not self.tls or accepts(self.wss_port)))
        wait_for(up, timeout, "inspircd to accept on ports %d and %d" % (self.tcp_port, self.ws_port))

    def stop(self, timeout=10):
        """Stops the server (SIGTERM, then SIGKILL after timeout) and waits for it."""
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        wait_for(lambda: not accepts(self.tcp_port), timeout, "the port to close")

    def log(self):
        text = ""
        for name in ("stdout.log", "ircd.log"):
            try:
                with open(os.path.join(self.dir, name), encoding="utf-8", errors="replace") as f:
                    text += f.read()[-4000:]
            except OSError:
                pass
        return text

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_line(line):
    """Minimal IRC parse for tests: (tags dict, nick or None, command, params list)."""
    tags, nick = {}, None
    if line.startswith("@"):
        raw, _, line = line.partition(" ")
        for item in raw[1:].split(";"):
            key, _, value = item.partition("=")
            tags[key] = value
    if line.startswith(":"):
        source, _, line = line.partition(" ")
        nick = source[1:].split("!")[0].split("@")[0]
    head, sep, trailing = line.partition(" :")
    params = head.split()
    command = params.pop(0).upper() if params else ""
    if sep:
        params.append(trailing)
    return tags, nick, command, params


class Person:
    """A test person on a plain TCP connection. A reader thread queues every line; expect()
    waits for one that matches, keeping the others for later calls."""

    def __init__(self, port, nick, timeout=15, user=None):
        self.nick = nick
        self.bad_utf8 = []  # raw lines that were not valid UTF-8
        self.mask = None    # nick!user@host as the server showed it in 001
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(None)
        self.lines = queue.Queue()
        self.seen = []  # parsed lines not yet consumed by expect()
        self.closed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.send("NICK %s" % nick)
        self.send("USER %s 0 * :test person" % (user or nick))
        welcome = self.expect(lambda m: m[2] == "001", timeout, "001 for %s" % nick)
        self.mask = welcome[4][-1].split()[-1]

    def _read(self):
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    raw = raw.rstrip(b"\r")
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        self.bad_utf8.append(raw)
                        line = raw.decode("utf-8", errors="replace")
                    msg = parse_line(line)
                    if msg[2] == "PING":
                        self.send("PONG :%s" % (msg[3][0] if msg[3] else ""))
                    self.lines.put((line,) + msg)
        except OSError:
            pass
        self.closed = True
        self.lines.put(None)

    def send(self, line):
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def privmsg(self, target, text):
        self.send("PRIVMSG %s :%s" % (target, text))

    def expect(self, match, timeout, what):
        """The first line (raw, tags, nick, command, params) for which match((tags, nick,
        command, params)) is true; raises TimeoutError naming what."""
        for i, item in enumerate(self.seen):
            if match(item[1:]):
                return self.seen.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what))
            try:
                item = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if item is None:
                self.lines.put(None)
                raise ConnectionError("connection closed while waiting for %s" % what)
            if match(item[1:]):
                return item
            self.seen.append(item)

    def wait_member(self, channel, nick, timeout):
        """Waits until nick is in channel (asks NAMES again and again), with a deadline."""
        deadline = time.monotonic() + timeout
        while True:
            self.send("NAMES %s" % channel)
            names = []
            while True:
                left = max(0.1, deadline - time.monotonic())
                m = self.expect(lambda m: m[2] in ("353", "366") and channel in m[3], left,
                                "NAMES %s" % channel)
                if m[3] == "366":
                    break
                names += [n.lstrip("@+%&~") for n in m[4][-1].split()]
            if nick in names:
                return True
            if time.monotonic() > deadline:
                raise TimeoutError("%s did not join %s" % (nick, channel))
            time.sleep(0.1)

    def drain(self):
        """Everything received so far and not consumed."""
        while True:
            try:
                item = self.lines.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self.lines.put(None)
                break
            self.seen.append(item)
        out, self.seen = self.seen, []
        return out

    def close(self):
        try:
            self.send("QUIT :bye")
        except OSError:
            pass
        self.sock.close()


class TAP:
    """Numbered TAP output; plan printed at the end."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=""):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond:
            self.failed += 1
            for line in str(diag).splitlines():
                print("# " + line, flush=True)
        return cond

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


BIN = os.environ.get("SECUREBASE_BIN", "build/asan/securebase")
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer")


class Coach:
    """The securebase binary with an [irc] section, its own store in a temporary directory.
    settings become `key = value` lines of the [irc] section."""

    def __init__(self, url, dialogs="dialogs", env=None, **settings):
        self.dir = tempfile.mkdtemp(prefix="sb-coach-")
        self.db = os.path.join(self.dir, "securebase.db")
        self.conf = os.path.join(self.dir, "securebase.conf")
        self.logfile = os.path.join(self.dir, "coach.log")
        lines = ["[irc]", "url = %s" % url]
        lines += ["%s = %s" % (k, v) for k, v in settings.items()]
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        self.dialogs = dialogs
        self.env = dict(os.environ, **(env or {}))
        self.proc = None

    def start(self):
        log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            [BIN, "--config", self.conf, "--db", self.db, "--dialogs", self.dialogs],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        log.close()
        return self

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "killed after %d s" % timeout
        return self.proc.returncode

    def log(self):
        with open(self.logfile, encoding="utf-8", errors="replace") as f:
            return f.read()

    def sanitizer_report(self):
        """The sanitizer lines of the log ('' when clean)."""
        return "\n".join(l for l in self.log().splitlines() if any(m in l for m in SANITIZER_MARKS))

    def query(self, sql, args=()):
        """Rows from the store (read-only; the coach keeps writing in WAL mode)."""
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=5)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def outbox(self):
        """[(id, room, text, sent)] of the irc adapter, oldest first."""
        try:
            rows = self.query("SELECT id, room, text, sent_at IS NOT NULL, transient FROM outbox "
                              "WHERE adapter = 'irc' ORDER BY id")
        except Exception:  # noqa: BLE001 - the store may not exist yet
            return []
        return rows

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def normalize(text):
    """Letters and digits only, lower-cased: what survives Markdown rendering and line
    splitting unchanged, so a reply and the lines that carried it compare equal."""
    return "".join(c for c in text.lower() if c.isalnum())


def coach_lines(items, coach_nick, command=None, target=None):
    """The texts of lines the coach sent, optionally only one command and target."""
    out = []
    for raw, tags, nick, cmd, params in items:
        if nick != coach_nick or cmd not in ("PRIVMSG", "NOTICE") or len(params) < 2:
            continue
        if params[1].startswith("\x01"):
            continue
        if (command and cmd != command) or (target and params[0] != target):
            continue
        out.append(params[1])
    return out


def matches(received, rows):
    """Whether the received lines are, in order, exactly the rows' texts (normalized). A
    transient row (a reply to someone who has not agreed that the coach keeps their words)
    has its text blanked once sent, so it stands for some non-empty stretch of lines."""
    pattern = "".join("(.+?)" if r[4] and not r[2] else re.escape(normalize(r[2])) for r in rows)
    return re.fullmatch(pattern, normalize("".join(received)), re.S) is not None


class Conversation:
    """A test person talking to the coach, privately or in a channel. say() sends one line
    and returns the coach's reply once it has arrived completely: it waits until the store
    holds the new outbox row marked sent and everything the person received in this
    conversation equals, in order, every row the coach wrote to the room since the
    conversation began (compared with normalize). So nothing is waited for blindly, and a
    lost, truncated, doubled or reordered line fails. In a channel, start the conversation
    once the person has joined: replies to other people's commands count too."""

    def __init__(self, person, coach, coach_nick="coach", target=None):
        self.person = person
        self.coach = coach
        self.coach_nick = coach_nick
        self.target = target  # None: private messages; else the channel
        self.room = target or person.nick
        self.received = []    # every coach line to this conversation, in order
        self.raw = []         # the same lines as the person received them
        self.first_id = max([r[0] for r in coach.outbox()] + [0])

    def rows(self):
        return [r for r in self.coach.outbox() if r[1] == self.room]

    def _collect(self):
        command = "NOTICE" if self.target else "PRIVMSG"
        for item in self.person.drain():
            raw, tags, nick, cmd, params = item
            if nick == self.coach_nick and cmd == command and params and params[0] == self.room \
                    and not params[1].startswith("\x01"):
                self.received.append(params[1])
                self.raw.append(raw)
            else:
                self.person.seen.append(item)

    def wait(self, timeout=20, what="the replies"):
        """Waits until every row to the room since the start has been received; returns
        the number of those rows."""
        deadline = time.monotonic() + timeout
        while True:
            rows = [r for r in self.rows() if r[0] > self.first_id]
            self._collect()
            if all(r[3] for r in rows) and matches(self.received, rows):
                return rows
            if time.monotonic() > deadline:
                raise TimeoutError("%s: %d rows (sent: %s), received %r" % (
                    what, len(rows), [r[3] for r in rows], self.raw[-6:]))
            time.sleep(0.05)

    def say(self, text, timeout=20):
        old = self.wait(timeout, "replies before %r" % text)
        start = len(self.received)
        self.person.privmsg(self.target or self.coach_nick, text)
        deadline = time.monotonic() + timeout
        while True:
            rows = self.wait(max(0.1, deadline - time.monotonic()), "the reply to %r" % text)
            if len(rows) > len(old):
                return "\n".join(self.received[start:])
            if time.monotonic() > deadline:
                raise TimeoutError("no reply to %r" % text)
            time.sleep(0.05)
