#!/usr/bin/env python3
"""ferrochat benchmark driver: starts the release binary on a scratch data directory, measures,
and prints a Markdown table. Standard library only; the load generator is wrk.

Scenarios (issue 2's first figures; `streams` runs the Rust chat-bench, see crates/bench):
  - start-to-ready: process spawn until GET /ready answers 200, on an already-migrated database
    (median of several starts; polled every millisecond over a raw socket);
  - idle RSS: resident memory after start, before any load;
  - /health throughput: wrk with 2 threads and 32 connections, requests/s and p99 latency,
    plus the peak RSS during the run;
  - search: 50,000 messages in 5,000 conversations written straight into the database, the first
    search (which indexes all of them on SQLite) and wrk on rare and common words.
"""
import argparse
import json
import os
import sqlite3
import uuid
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port, path, timeout=0.5):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
            head = s.recv(32).decode(errors="replace")
            m = re.match(r"HTTP/1\.[01] (\d{3})", head)
            return int(m.group(1)) if m else None
    except OSError:
        return None


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


class Server:
    def __init__(self, binary, data_dir, port, extra_env=None):
        env = {"PATH": os.environ.get("PATH", ""), "DATA_DIR": data_dir, "PORT": str(port),
               "LOG_LEVEL": "warn"}
        env.update(extra_env or {})
        self.port = port
        self.started = time.perf_counter()
        # The log goes to a file: an undrained pipe would fill up and stall the server.
        self.log = open(os.path.join(data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen([binary, "serve"], env=env, cwd=data_dir,
                                     stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_ready(self, limit=30.0):
        while time.perf_counter() - self.started < limit:
            if http_status(self.port, "/ready") == 200:
                return time.perf_counter() - self.started
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            time.sleep(0.001)
        raise RuntimeError("server not ready in time")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.log.close()
        if code != 0:
            raise RuntimeError(f"server exited with {code}")


def post(port, path, body):
    """One JSON POST over a fresh connection; returns (status, seconds, response body)."""
    payload = json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        start = time.perf_counter()
        s.sendall(head + payload)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        elapsed = time.perf_counter() - start
    return int(data.split(b" ", 2)[1]), elapsed, data.split(b"\r\n\r\n", 1)[1]


def post_json(port, path, body):
    """(status, seconds) of one POST."""
    status, elapsed, _ = post(port, path, body)
    return status, elapsed


def timing_pairs(port, rounds, known, unknown):
    """Alternates two request kinds so drift affects both alike; returns their timings (ms)."""
    a, b = [], []
    for i in range(rounds):
        for fn, out in ((known, a), (unknown, b)) if i % 2 == 0 else ((unknown, b), (known, a)):
            status, secs = fn(i)
            out.append((status, secs * 1000))
    return a, b


def login_token(port, email, password):
    status, _, body = post(port, "/api/auth/login", {"email": email, "password": password})
    assert status == 200, status
    return json.loads(body)["token"]


def seed(db_path, email, conversations, messages):
    """Writes benchmark data straight into the SQLite file (the server is stopped)."""
    db = sqlite3.connect(db_path)
    (user_id,) = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    now = int(time.time() * 1000)
    rows = [(str(uuid.uuid4()), user_id, f"Conversation {i}", "openAI", None, "gpt-4o-mini", 0,
             '{"temperature":0.7}', now - conversations + i, now - conversations + i)
            for i in range(conversations)]
    db.executemany("INSERT INTO conversations (id, user_id, title, endpoint, endpoint_type, model, "
                   "is_archived, settings, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    big = rows[0][0]
    parent, msgs = None, []
    for i in range(messages):
        mid = str(uuid.uuid4())
        by_user = i % 2 == 0
        content = None if by_user else json.dumps([{"type": "text", "text": f"answer {i} " * 20}])
        msgs.append((mid, big, user_id, parent, "User" if by_user else "GPT-4o mini",
                     f"question {i}" if by_user else "", content, int(by_user), 0, 0, "gpt-4o-mini",
                     "openAI", 42, now + i, now + i))
        parent = mid
    db.executemany("INSERT INTO messages (id, conversation_id, user_id, parent_id, sender, text, content, "
                   "is_created_by_user, error, unfinished, model, endpoint, token_count, created_at, "
                   "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", msgs)
    db.commit()
    db.close()
    seed.big_conversation = big


# Syllables for the search data's words: 20 x 20 x 20 = 8,000 words, so the corpus has words of
# every frequency (Zipf-like by construction below) rather than one repeated sentence.
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "so", "ta", "vi", "xe", "zo",
             "ba", "de", "fi", "go", "hu", "ja", "pe", "qu", "wi", "yo"]


def word(rank):
    a, b, c = rank % 20, (rank // 20) % 20, (rank // 400) % 20
    return SYLLABLES[a] + SYLLABLES[b] + SYLLABLES[c]


def seed_search(db_path, email, conversations, messages, rare_every):
    """Writes `messages` messages over `conversations` conversations straight into the SQLite file
    (the server is stopped), as an import would. Every `rare_every`-th message mentions
    "quokka"; word ranks follow a Zipf-like law, so low ranks are in most messages."""
    import random
    rng = random.Random(7)
    db = sqlite3.connect(db_path)
    (user_id,) = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    now = int(time.time() * 1000)
    convos = [(str(uuid.uuid4()), user_id, f"Topic {word(i)} {i}", "openAI", None, "gpt-4o-mini", 0,
               '{}', now - conversations + i, now - conversations + i) for i in range(conversations)]
    db.executemany("INSERT INTO conversations (id, user_id, title, endpoint, endpoint_type, model, "
                   "is_archived, settings, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", convos)
    msgs = []
    for i in range(messages):
        words = [word(int(8000 ** rng.random()) - 1) for _ in range(40)]
        if i % rare_every == 0:
            words[rng.randrange(40)] = "quokka"
        text = " ".join(words)
        by_user = i % 2 == 0
        content = None if by_user else json.dumps([{"type": "text", "text": text}])
        msgs.append((str(uuid.uuid4()), convos[i % conversations][0], user_id, None,
                     "User" if by_user else "GPT-4o mini", text if by_user else "", content,
                     int(by_user), 0, 0, "gpt-4o-mini", "openAI", 42, now + i, now + i))
    db.executemany("INSERT INTO messages (id, conversation_id, user_id, parent_id, sender, text, content, "
                   "is_created_by_user, error, unfinished, model, endpoint, token_count, created_at, "
                   "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", msgs)
    db.commit()
    db.close()


def get_timed(port, path, token):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
              "Connection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    status = int(data.split(b" ", 2)[1])
    return status, time.perf_counter() - t, data.split(b"\r\n\r\n", 1)[1]


def authed_load(server, path, token, name, args):
    """A table row for wrk on `path` with a bearer token: two unmeasured seconds first (the figure
    is the steady state, not the first touches of the database pages and connections after a
    restart), then `args.duration` seconds measured."""
    headers = [f"Authorization: Bearer {token}"]
    wrk(server.port, path, 2, args.connections, headers=headers)
    result = wrk(server.port, path, args.duration, args.connections, headers=headers)
    peak = rss_kib(server.proc.pid, "VmHWM")
    return (f"{name}, wrk {args.connections} connections", f"{result['rps']:,.0f} req/s",
            f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, non-2xx {result['non2xx']}, "
            f"peak RSS {peak / 1024:.1f} MB")


def wrk(port, path, duration, connections, threads=2, headers=()):
    extra = [arg for h in headers for arg in ("-H", h)]
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", *extra,
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99),
            "non2xx": int(errors.group(1)) if errors else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--duration", type=int, default=10, help="seconds per load phase")
    ap.add_argument("--starts", type=int, default=10, help="starts measured for start-to-ready")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--auth-rounds", type=int, default=40, help="requests per kind in the timing comparison")
    ap.add_argument("--only", choices=["startup", "auth", "lists", "search", "streams"], action="append",
                    help="run only these scenario groups (repeatable; default: all)")
    ap.add_argument("--chat-bench", help="the chat-bench binary (streams group)")
    ap.add_argument("--stream-args", default="", help="extra chat-bench flags, e.g. '--streams 1000 --leak 0'")
    args = ap.parse_args()
    groups = set(args.only or ["startup", "auth", "lists", "search", "streams"])
    if not shutil.which("wrk"):
        sys.exit("wrk not found: run bench/run.sh, which installs it")

    rows = []
    with tempfile.TemporaryDirectory(prefix="ferrochat-bench-") as data_dir:
        limits = {k: "1000000" for k in ("LOGIN_MAX", "REGISTER_MAX", "RESET_PASSWORD_MAX")}
        # One user drives the native list at thousands of requests/s: lift its API budget.
        limits["API_LIMIT_MAX"] = "1000000000"
        limits["ALLOW_PASSWORD_RESET"] = "true"
        pw = "bench-password-1"
        if "startup" in groups:
            # First start creates and migrates the database; it is not measured.
            first = Server(args.binary, data_dir, free_port())
            first_ready = first.wait_ready()
            first.stop()

            times = []
            for _ in range(args.starts):
                s = Server(args.binary, data_dir, free_port())
                times.append(s.wait_ready())
                s.stop()
            rows.append(("start to /ready, fresh database (first start, migrates)", f"{first_ready * 1000:.1f} ms", "target ≤ 150 ms applies to the existing-database case"))
            rows.append((f"start to /ready, existing database (median of {args.starts})",
                         f"{statistics.median(times) * 1000:.1f} ms",
                         f"min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}; target ≤ 150 ms"))

            s = Server(args.binary, data_dir, free_port())
            s.wait_ready()
            time.sleep(1.0)
            idle = rss_kib(s.proc.pid)
            rows.append(("idle RSS after start", f"{idle / 1024:.1f} MB", "target ≤ 20 MB"))

            result = wrk(s.port, "/health", args.duration, args.connections)
            peak = rss_kib(s.proc.pid, "VmHWM")
            rows.append((f"GET /health, wrk {args.connections} connections, {args.duration}s",
                         f"{result['rps']:,.0f} req/s",
                         f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, non-2xx {result['non2xx']}"))
            rows.append(("peak RSS during /health load", f"{peak / 1024:.1f} MB", ""))

            result = wrk(s.port, "/ready", args.duration, args.connections)
            rows.append((f"GET /ready (one SQLite query), wrk {args.connections} connections",
                         f"{result['rps']:,.0f} req/s",
                         f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, non-2xx {result['non2xx']}"))
            s.stop()

        if "auth" in groups:
            # Timing safety of the auth routes: an attacker must not tell known from unknown
            # addresses by the answer or its duration.
            s = Server(args.binary, data_dir, free_port(), limits)
            s.wait_ready()
            status, _ = post_json(s.port, "/api/auth/register",
                                  {"name": "Bench", "email": "known@example.com", "password": pw, "confirm_password": pw})
            assert status == 200, status
            rounds = args.auth_rounds
            known, unknown = timing_pairs(
                s.port, rounds,
                lambda i: post_json(s.port, "/api/auth/login", {"email": "known@example.com", "password": f"wrong-{i}"}),
                lambda i: post_json(s.port, "/api/auth/login", {"email": f"nobody-{i}@example.com", "password": f"wrong-{i}"}))
            assert {st for st, _ in known} == {st for st, _ in unknown} == {404}, (known[:3], unknown[:3])
            km, um = statistics.median(t for _, t in known), statistics.median(t for _, t in unknown)
            rows.append((f"login: wrong password vs unknown email (median of {rounds} each)",
                         f"{km:.1f} ms vs {um:.1f} ms", f"difference {abs(km - um):.1f} ms ({abs(km - um) / max(km, um) * 100:.1f}%), both 404"))
            known, unknown = timing_pairs(
                s.port, rounds,
                lambda i: post_json(s.port, "/api/auth/requestPasswordReset", {"email": "known@example.com"}),
                lambda i: post_json(s.port, "/api/auth/requestPasswordReset", {"email": f"nobody-{i}@example.com"}))
            assert {st for st, _ in known} == {st for st, _ in unknown} == {200}
            km, um = statistics.median(t for _, t in known), statistics.median(t for _, t in unknown)
            rows.append((f"reset request: existing vs unknown email (median of {rounds} each)",
                         f"{km:.2f} ms vs {um:.2f} ms", f"difference {abs(km - um):.2f} ms, both 200 with the same body"))
            s.stop()

        if "lists" in groups:
            # Issue 4's figures: list 25 conversations of a user who has 10,000, and fetch a
            # 2,000-message conversation, with a real access token.
            s = Server(args.binary, data_dir, free_port(), limits)
            s.wait_ready()
            status, _ = post_json(s.port, "/api/auth/register",
                                  {"name": "Lister", "email": "lister@example.com", "password": pw, "confirm_password": pw})
            s.stop()
            seed(os.path.join(data_dir, "ferrochat.db"), "lister@example.com", 10_000, 2_000)
            s = Server(args.binary, data_dir, free_port(), limits)
            s.wait_ready()
            token = login_token(s.port, "lister@example.com", pw)
            big = seed.big_conversation
            for name, path in (("GET /api/convos (25 of 10,000)", "/api/convos"),
                               ("GET /api/v1/conversations?limit=25 (native, same data)", "/api/v1/conversations?limit=25"),
                               ("GET /api/messages/{id} (2,000 messages)", f"/api/messages/{big}")):
                rows.append(authed_load(s, path, token, name, args))
            s.stop()

        if "search" in groups:
            # Full-text search (docs/search.md) over an imported history: the first search
            # indexes the whole backlog on SQLite; then steady-state searches.
            s = Server(args.binary, data_dir, free_port(), limits)
            s.wait_ready()
            status, _ = post_json(s.port, "/api/auth/register",
                                  {"name": "Finder", "email": "finder@example.com", "password": pw, "confirm_password": pw})
            s.stop()
            n_msgs, n_convos = 50_000, 5_000
            seed_search(os.path.join(data_dir, "ferrochat.db"), "finder@example.com", n_convos, n_msgs, 1_000)
            s = Server(args.binary, data_dir, free_port(), limits)
            s.wait_ready()
            token = login_token(s.port, "finder@example.com", pw)
            # The import is queued for indexing: the first search indexes up to 2,048 messages
            # before it reads, the background task the rest. Poll until all 50 rare hits show.
            started = time.perf_counter()
            status, took, body = get_timed(s.port, "/api/messages?search=quokka&pageSize=100", token)
            assert status == 200, (status, body[:200])
            first_found = len(json.loads(body)["messages"])
            found = first_found
            while found < n_msgs // 1_000 and time.perf_counter() - started < 300:
                time.sleep(0.1)
                _, _, body = get_timed(s.port, "/api/messages?search=quokka&pageSize=100", token)
                found = len(json.loads(body)["messages"])
            caught_up = time.perf_counter() - started
            rows.append((f"first search right after importing {n_msgs:,} messages",
                         f"{took * 1000:.0f} ms", f"{first_found} of {n_msgs // 1_000} hits indexed by then"))
            rows.append((f"all {n_msgs:,} imported messages searchable after", f"{caught_up:.1f} s",
                         f"{found} of {n_msgs // 1_000} hits; {n_msgs / caught_up:,.0f} messages/s indexed"))
            common = word(0)
            for name, path in ((f"GET /api/messages?search= a rare word (50 of {n_msgs:,})", "/api/messages?search=quokka"),
                               (f"GET /api/messages?search= a common word (in most of {n_msgs:,})", f"/api/messages?search={common}"),
                               ("GET /api/messages?search= two words, one rare", f"/api/messages?search=quokka%20{common}"),
                               (f"GET /api/convos?search= a rare word ({n_convos:,} conversations)", "/api/convos?search=quokka"),
                               ("GET /api/v1/search/messages?q= a rare word", "/api/v1/search/messages?q=quokka")):
                rows.append(authed_load(s, path, token, name, args))
            s.stop()

    cpu = os.cpu_count()
    print(f"\nferrochat benchmark ({cpu} cores, binary {args.binary})\n")
    if rows:
        print("| scenario | result | notes |")
        print("|---|---|---|")
        for name, value, note in rows:
            print(f"| {name} | {value} | {note} |")
    if "streams" in groups:
        # Chat streaming has its own driver (Rust: thousands of concurrent streams and a fake
        # upstream in one process); it prints its own table.
        print()
        sys.stdout.flush()
        subprocess.run([args.chat_bench, "--binary", args.binary, *shlex.split(args.stream_args)], check=True)


if __name__ == "__main__":
    main()
