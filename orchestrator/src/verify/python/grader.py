"""smol-coder's pytest grader: one warm pytest session that forks a fresh child per verification.

Start-up (importing and configuring pytest) is paid once. Each request forks a trusted child that collects and
runs one test file. The candidate's code never runs in that child: it is imported by candidate.py in a separate,
sandboxed process, and the test's calls reach it through plain-data messages (wire.py). So the candidate can
neither touch the tests nor write the report, and a crash, hang or os._exit there is just a failed call.
The server talks JSON lines: requests on stdin, replies on stdout.

Request: {"id": str, "module": "solution", "testFile": path, "timeoutMs": int, "memoryMb": int, "outputBytes": int,
          "candidate": {"argv": [...], "env": {...}}  (the sandboxed command that runs candidate.py)}
Cancel:  {"id": str, "cancel": true}  kills that request's processes; its reply still comes, status "cancelled"
Reply:   {"id", "status": "finished"|"timeout"|"crashed"|"cancelled", "exitCode", "signal", "durationMs",
          "tests": [{"name", "outcome", "longrepr"}], "output": str, "error": str|null,
          "reported": bool (the child sent its report; false after os._exit, a crash or a timeout)}
The caller grades: a reply passes only if the child finished, every expected test is present and passed.
"""
import ctypes
import gc
import json
import os
import resource
import selectors
import signal
import sys
import time

if sys.version_info < (3, 10):
    sys.exit(f"smol-coder's grader needs Python 3.10 or newer, not {sys.version.split()[0]}")

os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # third-party plugins must not change grading
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
sys.dont_write_bytecode = True

import pytest  # noqa: E402  (the environment above must be set first)
from _pytest.python import Module  # noqa: E402
from _pytest.runner import runtestprotocol  # noqa: E402

from proxy import Candidate, CandidateGone, proxy_module  # noqa: E402

REPORT_LIMIT = 256 * 1024
PR_SET_PDEATHSIG = 1
LIBC = ctypes.CDLL(None, use_errno=True)
SERVER_PID = os.getpid()
REQUEST_FD = os.dup(0)  # private copies: pytest redirects 0 and 1, and a child must not reach these
REPLY_FD = os.dup(1)  # replies only; pytest's own printing goes to stderr
os.dup2(2, 1)


def close_other_fds(keep):
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def child(session, request, report_w, output_w):
    """Runs in the forked child: never returns."""
    try:
        os.setsid()  # own process group: the server kills everything this attempt started
        # Nobody enforces the timeout once the server is gone (killed, say): die with it.
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != SERVER_PID:
            os._exit(1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_w, 1)
        os.dup2(output_w, 2)
        close_other_fds({report_w})  # the reply channel and other attempts' pipes stay out of reach
        os.chdir(os.path.dirname(request["testFile"]))  # failures name the test file without a long path
        candidate = Candidate(request["candidate"], 2)  # before the limits below: the sandbox sets its own
        limit = request["memoryMb"] * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        hello = candidate.read()
        if "error" in hello:
            payload = {"tests": [], "error": str(hello["error"])}
        else:
            sys.modules[request.get("module", "solution")] = proxy_module(request.get("module", "solution"), hello.get("ready", {}), candidate)
            module = Module.from_parent(session, path=__import__("pathlib").Path(request["testFile"]))
            items = [item for item in module.collect() if isinstance(item, pytest.Item)]
            tests = []
            for item in items:
                reports = runtestprotocol(item, nextitem=None, log=False)
                failed = [r for r in reports if r.failed]
                skipped = [r for r in reports if r.skipped]
                outcome = "failed" if failed else "skipped" if skipped else "passed"
                longrepr = failed[0].longreprtext if failed else ""
                tests.append({"name": item.name, "outcome": outcome, "longrepr": longrepr[-8000:]})
            payload = {"tests": tests, "error": None}
    except CandidateGone as error:
        payload = {"tests": [], "error": f"CandidateGone: {error}"}
    except BaseException as error:  # noqa: BLE001  (collection errors, a malformed reply...)
        import traceback

        payload = {"tests": [], "error": "".join(traceback.format_exception(error))[-8000:]}
    data = json.dumps(payload).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(report_w, view) :]
    os._exit(0)


class Job:
    def __init__(self, request, pid, report_r, output_r):
        self.request = request
        self.pid = pid
        self.report_r = report_r
        self.output_r = output_r
        self.report = bytearray()
        self.output = bytearray()
        self.started = time.monotonic()
        self.deadline = self.started + request.get("timeoutMs", 10_000) / 1000
        self.timed_out = False
        self.cancelled = False
        self.pidfd = os.pidfd_open(pid)
        # The fds this job still owns. A closed fd's number is soon another job's: never close by number alone.
        self.open_fds = {report_r, output_r, self.pidfd}


class Server:
    def __init__(self, session):
        self.session = session
        self.selector = selectors.DefaultSelector()
        self.jobs = {}
        self.stdin_buffer = bytearray()
        self.stdin_open = True

    def start(self, request):
        report_r, report_w = os.pipe()
        output_r, output_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(report_r)
            os.close(output_r)
            child(self.session, request, report_w, output_w)
        os.close(report_w)
        os.close(output_w)
        job = Job(request, pid, report_r, output_r)
        self.jobs[pid] = job
        for fd in (report_r, output_r):
            os.set_blocking(fd, False)
        self.selector.register(report_r, selectors.EVENT_READ, ("report", job))
        self.selector.register(output_r, selectors.EVENT_READ, ("output", job))
        self.selector.register(job.pidfd, selectors.EVENT_READ, ("exit", job))

    def read_pipe(self, fd, sink, limit):
        """Reads what is there; returns False at end of file."""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            sink.extend(chunk)
            if len(sink) > limit:
                del sink[: len(sink) - limit]  # keep the tail

    def drop(self, job, fd):
        if fd not in job.open_fds:
            return
        job.open_fds.discard(fd)
        self.selector.unregister(fd)
        os.close(fd)

    def finish(self, job):
        # Leftovers the candidate started. Before reaping: the unreaped child keeps its pid and group from reuse.
        try:
            os.killpg(job.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(job.pid, 0)
        for fd, sink, limit in ((job.report_r, job.report, REPORT_LIMIT), (job.output_r, job.output, job.request.get("outputBytes", 65536))):
            if fd in job.open_fds:
                self.read_pipe(fd, sink, limit)
                self.drop(job, fd)
        self.drop(job, job.pidfd)
        del self.jobs[job.pid]
        code = os.waitstatus_to_exitcode(status)
        reply = {
            "id": job.request["id"],
            "status": "cancelled" if job.cancelled else "timeout" if job.timed_out else "finished" if code == 0 else "crashed",
            "exitCode": code if code >= 0 else None,
            "signal": -code if code < 0 else None,
            "durationMs": round((time.monotonic() - job.started) * 1000),
            "output": job.output.decode("utf-8", "replace"),
            "tests": [],
            "error": None,
            "reported": False,
        }
        try:
            if job.report:
                reply.update(json.loads(job.report.decode("utf-8")), reported=True)
            else:
                reply["error"] = "the test process ended without a report"
        except ValueError:
            reply["error"] = "the test process wrote a malformed report"
        self.reply(reply)

    def reply(self, message):
        data = (json.dumps(message) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(REPLY_FD, view) :]

    def read_requests(self):
        if not self.read_pipe(REQUEST_FD, self.stdin_buffer, 1 << 30):
            self.stdin_open = False
            self.selector.unregister(REQUEST_FD)
        while b"\n" in self.stdin_buffer:
            line, _, rest = bytes(self.stdin_buffer).partition(b"\n")
            self.stdin_buffer = bytearray(rest)
            if not line.strip():
                continue
            request = {}
            try:
                request = json.loads(line)
                if request.get("cancel"):
                    self.cancel(request["id"])
                else:
                    self.start(request)
            except Exception as error:  # noqa: BLE001  (the caller waits on this id: always answer it)
                request_id = request.get("id") if isinstance(request, dict) else None
                self.reply({"id": request_id, "status": "crashed", "error": f"bad request: {error}", "tests": [], "output": ""})

    def cancel(self, request_id):
        for job in self.jobs.values():
            if job.request["id"] == request_id and not job.cancelled:
                job.cancelled = True
                try:
                    os.killpg(job.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def run(self):
        os.set_blocking(REQUEST_FD, False)
        self.selector.register(REQUEST_FD, selectors.EVENT_READ, ("stdin", None))
        ready = {"id": None, "status": "ready", "pid": os.getpid(), "pytest": pytest.__version__}
        self.reply({**ready, "executable": sys.executable, "prefixes": sorted({sys.prefix, sys.base_prefix})})
        while self.stdin_open or self.jobs:
            now = time.monotonic()
            # Jobs already killed are only waiting to be reaped: their passed deadlines must not spin the loop.
            timeout = min((job.deadline for job in self.jobs.values() if not job.timed_out), default=now + 60) - now
            for key, _ in self.selector.select(max(0.0, timeout)):
                kind, job = key.data
                if kind == "stdin":
                    self.read_requests()
                elif job.pid not in self.jobs or key.fd not in job.open_fds:
                    continue  # stale: closed earlier in this batch, its number perhaps already reused
                elif kind == "exit":
                    self.finish(job)
                else:
                    sink, limit = (job.report, REPORT_LIMIT) if kind == "report" else (job.output, job.request.get("outputBytes", 65536))
                    if not self.read_pipe(key.fd, sink, limit):
                        self.drop(job, key.fd)
            now = time.monotonic()
            for job in list(self.jobs.values()):
                if not job.timed_out and now >= job.deadline:
                    job.timed_out = True
                    try:
                        os.killpg(job.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        return 0


class ServePlugin:
    """Turns the pytest session into the grading server instead of a normal test run."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        gc.collect()
        gc.freeze()  # fewer copy-on-write pages in each child
        Server(session).run()
        return True


if __name__ == "__main__":
    empty = sys.argv[1]  # an empty directory: rootdir and the (empty) initial collection
    args = [empty, "-q", "-s", "-p", "no:cacheprovider", "-p", "no:stepwise", "--rootdir", empty, "-c", os.devnull, "--assert=rewrite"]
    sys.stdout.flush()
    code = pytest.main(args, plugins=[ServePlugin()])
    sys.exit(0 if code in (0, 5) else int(code))
