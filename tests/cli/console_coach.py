"""console_coach.py — the console coach on pipes, for tests that talk to a running coach
while they do something else to it (signals, backups, scrapes). Not a test itself."""
import os
import re
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("SECUREBASE_BIN", "build/asan/securebase"))


class Coach:
    """Runs `securebase --console --echo` with args; stdout and stderr gathered by threads."""

    def __init__(self, cwd, args, env=None):
        self.out, self.err = [], []
        self.lock = threading.Lock()
        full_env = dict(os.environ, SECUREBASE_LOG="info")
        full_env.update(env or {})
        self.proc = subprocess.Popen([BIN, "--console", "--echo"] + list(args), cwd=cwd,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=full_env)
        for stream, sink in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._gather, args=(stream, sink), daemon=True).start()

    def _gather(self, stream, sink):
        for line in iter(stream.readline, b""):
            with self.lock:
                sink.append(line.decode(errors="replace"))

    def text(self, sink):
        with self.lock:
            return "".join(sink)

    def stdout(self):
        return self.text(self.out)

    def stderr(self):
        return self.text(self.err)

    def wait_for(self, sink, pattern, start=0, timeout=90):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.text(sink)[start:]):
                return True
            if self.proc.poll() is not None:
                return bool(re.search(pattern, self.text(sink)[start:]))
            time.sleep(0.02)
        return False

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def say(self, line, pattern=r"\S", timeout=90):
        """Sends line; True when the coach's answer to it matches pattern (the answer is
        printed after its batch is committed)."""
        start = len(self.stdout())
        self.send(line)
        marker = "> " + re.escape(line) + "\n"
        if not self.wait_for(self.out, marker, start, timeout):
            return False
        begin = start + re.search(marker, self.stdout()[start:]).end()
        return self.wait_for(self.out, pattern, begin, timeout)

    def answer_to_last(self):
        return self.stdout()[-600:]

    def stop(self, timeout=30):
        """Closes stdin (the console's EOF) and waits; returns the exit code."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
