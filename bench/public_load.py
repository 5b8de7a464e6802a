"""How the public report form holds up under load, against a bare Django baseline.

PostgreSQL only. Starts two real gunicorn servers, each with 3 sync workers (as the
Dockerfile's command), on free local ports, and measures both in the same run:

- the app (``institute.wsgi:application``) in production mode (DJANGO_ENV=production,
  generated secrets, ALLOWED_HOSTS=127.0.0.1, TRUSTED_PROXY_HOPS=0, every RATE_LIMIT_*
  raised so that nothing is throttled, no access log), with a few coordinators so that
  a report alerts them as it would in production (``--coordinators``);
- the baseline (``bench/baseline/``): Django with no middleware and no templates, a
  "hello" GET and a POST that inserts one row, on the same database, through the same
  psycopg, with the same gunicorn options.

Everything lives only for the run: a database ``institute_bench_<pid>`` on the server
of DATABASE_URL (migrated with ``manage.py migrate`` under the production settings), two
empty databases on the Redis server of REDIS_URL (Celery broker and cache: the mail a
report causes is queued there for a Celery worker that is not started, so nothing is
mailed), static files collected into a temporary folder. All of it is dropped, flushed
or removed at the end, also on Ctrl-C, and both servers are stopped (whole process
groups).

Scenarios, from concurrent clients (threads, a new connection for each request: sync
gunicorn workers close connections):

- baseline hello GET;
- baseline insert POST (the same urlencoded body as a report);
- app report form GET (``/nl/report/``, ``X-Forwarded-Proto: https``, ``Accept-Encoding:
  gzip``);
- app full submission: GET the form, then POST a valid report with its CSRF cookie and
  token and its submission token; the answer must be the receipt page (200 with
  ``data-receipt-code``), anything else counts as an error. The POST's own latency is
  recorded as well as the whole flow's.

Each round runs every scenario once, in turn, at 1, 4 and 16 clients, each cell for
``--seconds`` after ``--warmup``; rounds alternate so that machine noise hits all
scenarios alike. For each cell: throughput, p50 and p95 latency, the server's CPU time
(user + system of the gunicorn master and workers, from /proc) per request or flow, and
errors. Then the ratios the Institute's targets are written in: form GET throughput as
% of hello's (target >= 25 %), report POST throughput as % of the bare insert's (each
estimated as clients / mean POST latency; target >= 20 %), p95 of the whole flow at 16
clients (target < 150 ms). Also the SQL statements one report POST runs (counted
in-process with CaptureQueriesContext and the test client, on the same database and
settings) and the workers' resident memory before and after. With ``--submissions N``,
then N whole submissions at 16 clients with the workers' memory at every fifth of them.

    . /tmp/devsvc.env; .venv/bin/python bench/public_load.py --seconds 4

or in general

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/public_load.py

The load generator runs on the same machine as the servers and the database: its own
CPU use is printed for each cell ("client CPU", in cores) so that a saturated client
can be told from a saturated server.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import html
import http.client
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import dj_database_url
import psycopg
import redis
from cryptography.fernet import Fernet

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.intake.conftest import report_data  # noqa: E402

WORKERS = 3  # as the Dockerfile's gunicorn command
REPORT_PATH = "/nl/report/"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
CSRF_COOKIE = "__Host-csrftoken"  # the production name (settings.CSRF_COOKIE_NAME)
UNLIMITED_RATE = "10000000/3600"
RATE_LIMIT_SETTINGS = (
    "RATE_LIMIT_REPORTS_PER_CLIENT",
    "RATE_LIMIT_REPORTS_BEFORE_SURGE",
    "RATE_LIMIT_CODES_PER_CLIENT",
    "RATE_LIMIT_WRONG_CODES_BEFORE_DOUBLING",
    "RATE_LIMIT_FOLLOWUP_POSTS_PER_CLIENT",
    "RATE_LIMIT_FOLLOWUP_POSTS_PER_DOSSIER",
)

# The Institute's targets, as ratios measured in the same run.
FORM_GET_TARGET = 0.25  # form GET throughput / hello GET throughput
REPORT_POST_TARGET = 0.20  # report POST throughput / bare insert POST throughput
FLOW_P95_TARGET_MS = 150  # whole flow (GET + POST) at 16 clients
FLOW_P95_CLIENTS = 16

# A browser's requests to the app behind the TLS proxy.
APP_HEADERS = {"X-Forwarded-Proto": "https", "Accept-Encoding": "gzip"}

# A complete, valid report, as the tests post it, without the submission token (each
# post takes the one its form was given).
REPORT_FIELDS = {name: value for name, value in report_data().items() if name != "submission_token"}


# --- Where the run lives: database, Redis, temporary folder ------------------------


def refuse_without_postgresql() -> str:
    url = os.environ.get("DATABASE_URL", "")
    try:
        engine = dj_database_url.parse(url)["ENGINE"] if url else ""
    except ValueError:  # a scheme dj-database-url does not know
        engine = ""
    if "postgresql" not in engine:
        sys.exit(
            "bench/public_load.py needs PostgreSQL: DATABASE_URL=postgres://... (it is "
            f"{'not set' if not url else 'not PostgreSQL'}). The app runs on PostgreSQL in "
            "production; a load test on SQLite would measure SQLite."
        )
    if not os.environ.get("REDIS_URL"):
        sys.exit(
            "bench/public_load.py needs Redis: REDIS_URL=redis://... (without it the app "
            "would run its mail tasks in the request and try to mail)."
        )
    return url


def with_path(url: str, path: str) -> str:
    """``url`` with another path: another database on the same server."""
    return urlunsplit(urlsplit(url)._replace(path=path))


def server_connection(server_url: str) -> psycopg.Connection:
    """A connection for CREATE and DROP DATABASE: to the database of DATABASE_URL, or to
    the server's "postgres" database if that one does not exist."""
    try:
        return psycopg.connect(server_url, autocommit=True)
    except psycopg.OperationalError:
        return psycopg.connect(with_path(server_url, "/postgres"), autocommit=True)


def create_database(server_url: str, name: str) -> None:
    with server_connection(server_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    # FORCE: also when a killed server left a connection behind.
    with server_connection(server_url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def describe_postgresql(database_url: str) -> str:
    with psycopg.connect(database_url) as connection:
        version = connection.execute("SHOW server_version").fetchone()[0]
        fsync = connection.execute("SHOW fsync").fetchone()[0]
        synchronous = connection.execute("SHOW synchronous_commit").fetchone()[0]
    return f"PostgreSQL {version} (fsync={fsync}, synchronous_commit={synchronous})"


def create_baseline_table(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_row (id bigserial primary key, body text)")


def empty_redis_databases(redis_url: str, count: int = 2) -> list[str]:
    """URLs of ``count`` empty databases on the server of ``redis_url``, from the last
    one down: the run's broker and cache, flushed at the end without touching anyone
    else's keys (the dev broker's queue, the dev cache)."""
    in_use = {urlsplit(redis_url).path.strip("/") or "0", "1"}
    found = []
    for number in range(15, 1, -1):
        url = with_path(redis_url, f"/{number}")
        if str(number) not in in_use and redis.Redis.from_url(url).dbsize() == 0:
            found.append(url)
            if len(found) == count:
                return found
    sys.exit(f"No {count} empty databases among 2-15 on the Redis server of REDIS_URL.")


def flush_redis(urls: list[str]) -> None:
    for url in urls:
        redis.Redis.from_url(url).flushdb()


# --- The two servers -----------------------------------------------------------------


def app_environment(database_url: str, broker_url: str, cache_url: str, folder: Path) -> dict:
    """The app in production mode, with secrets made for this run."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "institute.settings",
        "DJANGO_ENV": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "RECEIPT_HASH_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "REDIS_URL": broker_url,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CACHE_URL": cache_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_HOST": "127.0.0.1",
        "DISCREET_FROM_EMAIL": "no-reply@bench.example.org",
        "TRUSTED_PROXY_HOPS": "0",
        "SECURE_SSL_REDIRECT": "true",
        "STATIC_ROOT": str(folder / "static"),
        "PRIVATE_STORAGE_ROOT": str(folder / "private"),
        **dict.fromkeys(RATE_LIMIT_SETTINGS, UNLIMITED_RATE),
    }


def baseline_environment(database_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.baseline.settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": database_url,
    }


def manage(env: dict, *arguments: str) -> str:
    """Run ``manage.py`` with ``env``; its output, or the end of it on failure."""
    command = [sys.executable, str(REPO / "manage.py"), *arguments]
    done = subprocess.run(  # noqa: S603
        command, env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def group(self) -> int:
        return self.process.pid  # started in a session of its own: the group's id

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def start_server(name: str, module: str, env: dict, folder: Path) -> Server:
    """gunicorn as the Dockerfile runs it (3 sync workers), without an access log, in a
    process group of its own."""
    port = free_port()
    log_path = folder / f"{name}.log"
    command = [
        *(sys.executable, "-m", "gunicorn", module),
        *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command,
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name, process, port, log_path)


def wait_until_answering(server: Server, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            sys.exit(f"The {server.name} server stopped at start:\n{server.log_tail()}")
        try:
            if http_request(server.port, "GET", path).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(
        f"The {server.name} server did not answer {path} in {timeout:.0f} s:\n{server.log_tail()}"
    )


def stop_server(server: Server) -> None:
    """SIGTERM to the whole group (master and workers), then SIGKILL to what is left."""
    try:
        os.killpg(server.group, signal.SIGTERM)
        server.process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.group, signal.SIGKILL)
    server.process.wait()


# --- What /proc says of a process group ------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from its third field (state) on; None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields is not None and int(fields[2]) == group:
                members.append(int(entry.name))
    return sorted(members)


def group_cpu_seconds(group: int) -> float:
    """User + system CPU of every process of the group, and of its reaped children (a
    worker that was replaced)."""
    ticks = 0
    for pid in group_members(group):
        fields = stat_fields(pid)
        if fields is not None:  # utime, stime, cutime, cstime: fields 14 to 17
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent on anything but idling, every CPU together."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def resident_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    kilobytes = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(kilobytes.group(1)) / 1024 if kilobytes else 0.0


def describe_memory(server: Server) -> str:
    workers = [pid for pid in group_members(server.group) if pid != server.group]
    sizes = ", ".join(f"{resident_mb(pid):.0f}" for pid in workers)
    return f"workers {sizes} MB (master {resident_mb(server.group):.0f} MB)"


# --- One client's requests -----------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def text(self) -> str:
        body = self.body
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode(errors="replace")

    def cookies(self) -> dict[str, str]:
        jar = SimpleCookie()
        for header in self.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return {name: morsel.value for name, morsel in jar.items()}

    def describe(self, label: str) -> str:
        """The status and the start of the page's main text, to show an error."""
        text = self.text()
        main = max(text.find("<main"), 0)
        words = " ".join(re.sub(r"<[^>]+>", " ", text[main:]).split())
        return f"{label}: status {self.status}: {words[:300]}"


def http_request(
    port: int, method: str, path: str, headers: dict | None = None, body: str | None = None
) -> Response:
    """One request on a new connection (sync gunicorn workers close it after answering)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        answer = connection.getresponse()
        return Response(answer.status, answer.headers, answer.read())
    finally:
        connection.close()


def hidden_input(page: str, name: str) -> str | None:
    """The value of the form input called ``name``."""
    for tag in re.findall(r"<input\b[^>]*>", page):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            return html.unescape(value.group(1)) if value else None
    return None


def report_body(page: str) -> str | None:
    """The urlencoded report to post back to the form ``page``; None if the page lacks
    its tokens."""
    csrf_token = hidden_input(page, "csrfmiddlewaretoken")
    submission = hidden_input(page, "submission_token")
    if not csrf_token or not submission:
        return None
    fields = {**REPORT_FIELDS, "csrfmiddlewaretoken": csrf_token, "submission_token": submission}
    return urlencode(fields, doseq=True)


@dataclass
class Outcome:
    ok: bool
    problem: str = ""
    post_seconds: float | None = None


def hello_get(port: int) -> Outcome:
    answer = http_request(port, "GET", "/hello/")
    return Outcome(True) if answer.status == 200 else Outcome(False, answer.describe("GET"))


def insert_post(port: int) -> Outcome:
    body = urlencode(REPORT_FIELDS, doseq=True)
    started = time.perf_counter()
    answer = http_request(port, "POST", "/insert/", {"Content-Type": FORM_CONTENT_TYPE}, body)
    seconds = time.perf_counter() - started
    if answer.status != 200:
        return Outcome(False, answer.describe("POST"))
    return Outcome(True, post_seconds=seconds)


def form_get(port: int) -> Outcome:
    answer = http_request(port, "GET", REPORT_PATH, APP_HEADERS)
    return Outcome(True) if answer.status == 200 else Outcome(False, answer.describe("GET"))


def full_submission(port: int) -> Outcome:
    """GET the form, POST a valid report with its tokens; the receipt page must follow."""
    form = http_request(port, "GET", REPORT_PATH, APP_HEADERS)
    if form.status != 200:
        return Outcome(False, form.describe("form GET"))
    cookies = form.cookies()
    body = report_body(form.text())
    if CSRF_COOKIE not in cookies or body is None:
        return Outcome(False, form.describe("form GET without CSRF cookie or tokens"))
    headers = {
        **APP_HEADERS,
        "Content-Type": FORM_CONTENT_TYPE,
        "Origin": f"https://127.0.0.1:{port}",
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    started = time.perf_counter()
    answer = http_request(port, "POST", REPORT_PATH, headers, body)
    seconds = time.perf_counter() - started
    if answer.status != 200 or "data-receipt-code" not in answer.text():
        return Outcome(False, answer.describe("report POST"))
    return Outcome(True, post_seconds=seconds)


@dataclass(frozen=True)
class Scenario:
    name: str
    server: str  # "baseline" or "app"
    unit: str  # what one sample is: a "request", or a "flow" of two
    run: Callable[[int], Outcome]


SCENARIOS = [
    Scenario("baseline hello GET", "baseline", "request", hello_get),
    Scenario("baseline insert POST", "baseline", "request", insert_post),
    Scenario("app report form GET", "app", "request", form_get),
    Scenario("app full submission", "app", "flow", full_submission),
]


# --- Running a cell: one scenario at one concurrency ----------------------------------


@dataclass
class Sample:
    finished: float
    seconds: float
    outcome: Outcome


@dataclass
class Cell:
    scenario: Scenario
    clients: int
    seconds: float
    samples: list[Sample]
    server_cpu: float
    client_cpu: float
    machine_cpu: float
    round_throughputs: list[float] = field(default_factory=list)

    @property
    def successes(self) -> list[Sample]:
        return [sample for sample in self.samples if sample.outcome.ok]

    @property
    def errors(self) -> list[Sample]:
        return [sample for sample in self.samples if not sample.outcome.ok]

    @property
    def throughput(self) -> float:
        return len(self.successes) / self.seconds

    def latencies(self) -> list[float]:
        return [sample.seconds for sample in self.successes]

    def post_latencies(self) -> list[float]:
        return [s.outcome.post_seconds for s in self.successes if s.outcome.post_seconds]

    def cpu_ms_per_unit(self) -> float:
        return 1000 * self.server_cpu / len(self.samples) if self.samples else float("nan")

    def post_throughput_estimate(self) -> float:
        """Clients / mean POST latency: the POSTs a second these clients would get
        through if they did nothing else."""
        posts = self.post_latencies()
        return self.clients / statistics.mean(posts) if posts else 0.0


def merged(cells: list[Cell]) -> Cell:
    """The rounds of one scenario at one concurrency, as one cell."""
    return Cell(
        scenario=cells[0].scenario,
        clients=cells[0].clients,
        seconds=sum(cell.seconds for cell in cells),
        samples=[sample for cell in cells for sample in cell.samples],
        server_cpu=sum(cell.server_cpu for cell in cells),
        client_cpu=sum(cell.client_cpu for cell in cells),
        machine_cpu=sum(cell.machine_cpu for cell in cells),
        round_throughputs=[cell.throughput for cell in cells],
    )


def client_loop(scenario: Scenario, port: int, stop: threading.Event, samples: list) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            outcome = scenario.run(port)
        except (OSError, http.client.HTTPException) as error:
            outcome = Outcome(False, f"{type(error).__name__}: {error}")
        finished = time.perf_counter()
        samples.append(Sample(finished, finished - started, outcome))


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.perf_counter()))


def run_cell(
    scenario: Scenario, server: Server, clients: int, warmup: float, seconds: float
) -> Cell:
    """``clients`` threads run the scenario for ``warmup`` + ``seconds``; only what
    finishes in the last ``seconds`` counts, and the server's CPU is read at both ends
    of that window."""
    samples: list[Sample] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=client_loop, args=(scenario, server.port, stop, samples))
        for _ in range(clients)
    ]
    start = time.perf_counter()
    window_start, window_end = start + warmup, start + warmup + seconds
    for thread in threads:
        thread.start()
    try:
        sleep_until(window_start)
        cpu_before, client_before = group_cpu_seconds(server.group), time.process_time()
        machine_before = machine_busy_seconds()
        sleep_until(window_end)
        cpu_after, client_after = group_cpu_seconds(server.group), time.process_time()
        machine_after = machine_busy_seconds()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    counted = [sample for sample in samples if window_start <= sample.finished <= window_end]
    return Cell(
        scenario,
        clients,
        seconds,
        counted,
        server_cpu=cpu_after - cpu_before,
        client_cpu=client_after - client_before,
        machine_cpu=machine_after - machine_before,
    )


def soak(server: Server, total: int, clients: int = 16, checkpoints: int = 5) -> None:
    """``total`` whole submissions from ``clients`` threads, with the workers' resident
    memory printed at every ``total / checkpoints``: a worker that kept something per
    report would grow from line to line."""
    print(f"\n{total} submissions, {clients} clients: workers' resident memory (RSS)")
    print(f"  {0:>7} submissions: {describe_memory(server)}", flush=True)
    lock = threading.Lock()
    done = errors = 0
    step = max(1, total // checkpoints)
    started = time.perf_counter()

    def client() -> None:
        nonlocal done, errors
        while True:
            with lock:
                if done + errors >= total:
                    return
            try:
                outcome = full_submission(server.port)
            except (OSError, http.client.HTTPException):
                outcome = Outcome(False)
            with lock:
                if outcome.ok:
                    done += 1
                    if done % step == 0:
                        print(f"  {done:>7} submissions: {describe_memory(server)}", flush=True)
                else:
                    errors += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"  {done} receipts, {errors} errors in {time.perf_counter() - started:.0f} s")


# --- Figures ------------------------------------------------------------------------------


def percentile_ms(values: list[float], percent: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return 1000 * ordered[rank - 1]


def cell_line(cell: Cell) -> str:
    latencies = cell.latencies()
    line = (
        f"{cell.scenario.name:<22} {cell.clients:>3} {cell.throughput:>8.1f}"
        f" {percentile_ms(latencies, 50):>8.1f} {percentile_ms(latencies, 95):>8.1f}"
    )
    posts = cell.post_latencies()
    if cell.scenario.unit == "flow":
        line += f" {percentile_ms(posts, 50):>8.1f} {percentile_ms(posts, 95):>8.1f}"
    else:
        line += f" {'':>8} {'':>8}"
    line += (
        f" {cell.cpu_ms_per_unit():>7.2f} {cell.scenario.unit:<7}"
        f" {len(cell.errors):>6} {cell.client_cpu / cell.seconds:>6.2f}"
        f" {cell.machine_cpu / cell.seconds:>7.2f}"
    )
    if cell.round_throughputs:
        line += "   " + " / ".join(f"{value:.0f}" for value in cell.round_throughputs)
    return line


CELL_HEADER = (
    f"{'scenario':<22} {'cl':>3} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8}"
    f" {'POST p50':>8} {'POST p95':>8} {'CPU ms':>7} {'per':<7}"
    f" {'errors':>6} {'client':>6} {'machine':>7}"
)


def mean_or_nan(values: list[float]) -> float:
    return statistics.mean(values) if values else float("nan")


def ratio_line(clients: int, app: float, baseline: float, target: float) -> str:
    ratio = app / baseline if baseline else 0.0
    who = f"{clients} client" if clients == 1 else f"{clients} clients"
    verdict = "met" if ratio >= target else "NOT MET"
    return f"  {who:>10}: {app:7.1f} / {baseline:7.1f} per s = {ratio:6.1%}  {verdict}"


def print_summary(results: dict[tuple[str, int], Cell], concurrencies: list[int]) -> None:
    print("\nTargets (ratios of figures measured in this run)")
    print(f"form GET throughput as % of hello GET's (target >= {FORM_GET_TARGET:.0%}):")
    for clients in concurrencies:
        form = results["app report form GET", clients].throughput
        hello = results["baseline hello GET", clients].throughput
        print(ratio_line(clients, form, hello, FORM_GET_TARGET))

    print(
        f"report POST throughput as % of the bare insert POST's, each estimated as "
        f"clients / mean POST latency (target >= {REPORT_POST_TARGET:.0%}):"
    )
    for clients in concurrencies:
        report = results["app full submission", clients]
        insert = results["baseline insert POST", clients]
        line = ratio_line(
            clients,
            report.post_throughput_estimate(),
            insert.post_throughput_estimate(),
            REPORT_POST_TARGET,
        )
        report_ms = 1000 * mean_or_nan(report.post_latencies())
        insert_ms = 1000 * mean_or_nan(insert.post_latencies())
        print(f"{line}   (mean POST {report_ms:.1f} ms vs {insert_ms:.1f} ms)")

    flow = results.get(("app full submission", FLOW_P95_CLIENTS))
    if flow is None:
        print(f"whole flow p95 at {FLOW_P95_CLIENTS} clients: not measured (see --clients)")
        return
    p95 = percentile_ms(flow.latencies(), 95)
    print(
        f"whole flow (GET + POST) p95 at {FLOW_P95_CLIENTS} clients "
        f"(target < {FLOW_P95_TARGET_MS} ms): {p95:.1f} ms  "
        f"{'met' if p95 < FLOW_P95_TARGET_MS else 'NOT MET'}"
    )


def print_first_errors(results: dict[tuple[str, int], Cell]) -> None:
    for scenario in SCENARIOS:
        cells = [cell for (name, _), cell in results.items() if name == scenario.name]
        errors = [sample for cell in cells for sample in cell.errors]
        if errors:
            print(f"\n{len(errors)} errors in '{scenario.name}'; the first:")
            print(f"  {errors[0].outcome.problem}")


# --- SQL of one report, counted in-process -------------------------------------------------


def count_report_sql(app_env: dict) -> tuple[int, list[str]]:
    """The statements of the form GET and of the report POST, from the test client in
    this process under the app's settings and database; the second flow is counted (the
    first fills the process's caches, as the servers' warm-up does)."""
    os.environ.update(app_env)
    import django

    django.setup()
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    connection = connections["default"]
    client = Client(enforce_csrf_checks=True)
    headers = {
        "host": "127.0.0.1",
        "origin": "https://127.0.0.1",
        "x-forwarded-proto": "https",
    }
    try:
        for _ in range(2):
            with CaptureQueriesContext(connection) as get_queries:
                form = client.get(REPORT_PATH, secure=True, headers=headers)
            body = report_body(form.content.decode())
            if form.status_code != 200 or body is None:
                sys.exit(f"In-process form GET failed: status {form.status_code}")
            with CaptureQueriesContext(connection) as post_queries:
                answer = client.post(
                    REPORT_PATH,
                    body,
                    content_type=FORM_CONTENT_TYPE,
                    secure=True,
                    headers=headers,
                )
            if answer.status_code != 200 or b"data-receipt-code" not in answer.content:
                text = Response(answer.status_code, answer.headers, answer.content)
                sys.exit(f"In-process report POST failed: {text.describe('POST')}")
        return len(get_queries), [query["sql"] for query in post_queries]
    finally:
        connections.close_all()


def statement_summary(statements: list[str]) -> str:
    """Each statement as its verb and first table, in order: "INSERT cases_dossier"."""
    summaries = []
    for statement in statements:
        verb = statement.split(None, 1)[0].upper()
        table = re.search(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)', statement, re.IGNORECASE)
        summaries.append(f"{verb} {table.group(1)}" if table else verb)
    return ", ".join(summaries)


# --- The run ---------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Load test of the public report form (production mode, gunicorn, PostgreSQL) "
            "against a bare Django baseline, in one run. Needs DATABASE_URL (PostgreSQL) "
            "and REDIS_URL; creates and drops its own database."
        ),
        epilog="Example: . /tmp/devsvc.env; .venv/bin/python bench/public_load.py --seconds 4",
    )
    parser.add_argument("--seconds", type=float, default=4, help="measured time per cell (4)")
    parser.add_argument("--warmup", type=float, default=1, help="warm-up per cell (1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every cell (3)")
    parser.add_argument(
        "--clients", default="1,4,16", help="concurrent clients, comma-separated (1,4,16)"
    )
    parser.add_argument(
        "--coordinators",
        type=int,
        default=2,
        help="coordinator accounts, each alerted of every report as in production (2)",
    )
    parser.add_argument(
        "--submissions",
        type=int,
        default=0,
        help="then this many whole submissions, printing the workers' memory (0: none)",
    )
    arguments = parser.parse_args()
    arguments.clients = [int(value) for value in arguments.clients.split(",")]
    return arguments


def stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def prepare_database(app_env: dict, database_url: str, coordinators: int) -> None:
    """Static files (whitenoise's manifest, as the image builds it), the app's tables,
    the baseline's table, and the coordinators a report alerts."""
    started = time.perf_counter()
    manage(app_env, "collectstatic", "--noinput")
    manage(app_env, "migrate", "--noinput")
    create_baseline_table(database_url)
    for number in range(1, coordinators + 1):
        username = f"coordinator{number}"
        email = f"{username}@bench.example.org"
        manage(app_env, "create_staff", username, "--role=coordinator", f"--email={email}")
    print(
        f"static files collected, database migrated, {coordinators} coordinators "
        f"created in {time.perf_counter() - started:.1f} s"
    )


def measure(arguments: argparse.Namespace, by_server: dict[str, Server]) -> dict:
    """Every round, every concurrency, every scenario in turn; one line per cell."""
    print(
        f"\n{arguments.rounds} rounds; each cell {arguments.warmup:g} s warm-up + "
        f"{arguments.seconds:g} s measured. per s: requests (flows for the full "
        f"submission) a second; CPU ms: the server's user+system CPU per request "
        f"(per flow: GET+POST); client: the load generator's CPU, machine: every "
        f"process's (servers, database, Redis, client), both in cores of the "
        f"{os.cpu_count()}\n"
    )
    print(f"{'round':<6}{CELL_HEADER}")
    rounds: dict[tuple[str, int], list[Cell]] = {}
    for number in range(1, arguments.rounds + 1):
        for clients in arguments.clients:
            for scenario in SCENARIOS:
                server = by_server[scenario.server]
                cell = run_cell(scenario, server, clients, arguments.warmup, arguments.seconds)
                rounds.setdefault((scenario.name, clients), []).append(cell)
                print(f"{number:<6}{cell_line(cell)}", flush=True)
    return {key: merged(cells) for key, cells in rounds.items()}


def print_results(results: dict[tuple[str, int], Cell], concurrencies: list[int]) -> None:
    print("\nAll rounds together (after the last column: per s in each round)")
    print(f"{'':<6}{CELL_HEADER}")
    for clients in concurrencies:
        for scenario in SCENARIOS:
            print(f"{'':<6}{cell_line(results[scenario.name, clients])}")
    print_summary(results, concurrencies)
    print_first_errors(results)


def main() -> None:
    arguments = parse_arguments()
    server_url = refuse_without_postgresql()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    name = f"institute_bench_{os.getpid()}"
    database_url = with_path(server_url, f"/{name}")
    folder = Path(tempfile.mkdtemp(prefix="institute_bench_"))
    redis_urls: list[str] = []
    servers: list[Server] = []
    database_created = False
    try:
        redis_urls = empty_redis_databases(os.environ["REDIS_URL"])
        broker_url, cache_url = redis_urls
        create_database(server_url, name)
        database_created = True
        print(
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} CPUs; {describe_postgresql(database_url)}, database {name}; "
            f"Redis broker {urlsplit(broker_url).path}, cache {urlsplit(cache_url).path}"
        )
        app_env = app_environment(database_url, broker_url, cache_url, folder)
        baseline_env = baseline_environment(database_url)
        prepare_database(app_env, database_url, arguments.coordinators)

        get_count, post_statements = count_report_sql(app_env)
        print(
            f"SQL statements (in-process, test client, second flow; BEGIN and COMMIT "
            f"included): form GET {get_count}, report POST {len(post_statements)}:\n  "
            + textwrap.fill(statement_summary(post_statements), 96, subsequent_indent="  ")
        )

        baseline = start_server("baseline", "bench.baseline.wsgi:application", baseline_env, folder)
        servers.append(baseline)
        app = start_server("app", "institute.wsgi:application", app_env, folder)
        servers.append(app)
        wait_until_answering(baseline, "/hello/")
        wait_until_answering(app, "/healthz")
        print(
            f"gunicorn, {WORKERS} sync workers each: baseline on port {baseline.port}, "
            f"app on port {app.port}"
        )
        by_server = {"baseline": baseline, "app": app}
        memory = {(server.name, "just started"): describe_memory(server) for server in servers}
        for scenario in SCENARIOS:  # every worker loaded before anything is measured
            run_cell(scenario, by_server[scenario.server], 4, 0, 1)
        for server in servers:
            memory[server.name, "before measurements"] = describe_memory(server)

        results = measure(arguments, by_server)
        for server in servers:
            memory[server.name, "after measurements"] = describe_memory(server)
        print_results(results, arguments.clients)

        print("\nResident memory (RSS)")
        for (server_name, moment), sizes in memory.items():
            print(f"  {server_name:<8} {moment + ':':<21} {sizes}")
        if arguments.submissions:
            soak(app, arguments.submissions)
    except KeyboardInterrupt:
        print("\nInterrupted: cleaning up.", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        for server in servers:
            stop_server(server)
        if database_created:
            drop_database(server_url, name)
        flush_redis(redis_urls)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
