"""The trusted stand-in for the candidate's module: stubs that call into the sandboxed candidate.py process.

The tests import `solution` and get this module. Each call crosses to the candidate's process as plain data
(wire.py) and its result comes back as exact builtins, so the candidate cannot reach the tests or the verdict.
"""
import builtins
import importlib
import signal
import subprocess
import sys
import types

import wire


class CandidateGone(Exception):
    """The candidate's process ended or broke the protocol while a test needed it."""


class CandidateError(Exception):
    """An exception raised by the candidate that is not one of Python's built-in exceptions."""


UNSAFE_MODULES = {"antigravity", "this", "turtle", "tkinter", "idlelib", "webbrowser", "pydoc"}


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class Candidate:
    """The sandboxed process that holds the candidate's module."""

    def __init__(self, spec, output_fd):
        self.process = subprocess.Popen(
            spec["argv"], env=spec["env"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=output_fd, close_fds=True
        )

    def read(self):
        __tracebackhide__ = True
        line = self.process.stdout.readline(wire.MAX_LINE_BYTES + 1)
        if not line:
            code = self.process.wait()
            signal_number = -code if code < 0 else code - 128 if code > 128 else 0  # bubblewrap reports 128 + signal
            how = f"was killed by {signal_name(signal_number)}" if signal_number else f"exited with code {code}"
            raise CandidateGone(f"the solution's process {how} before answering (os._exit, a crash, or over a limit?)")
        if not line.endswith(b"\n"):
            raise CandidateGone(f"the solution sent a message over {wire.MAX_LINE_BYTES} bytes")
        return wire.loads(line)

    def call(self, name, args, kwargs):
        __tracebackhide__ = True  # a failure points at the test's line, not at this machinery
        message = wire.dumps({"call": name, "args": wire.encode(list(args)), "kwargs": wire.encode(dict(kwargs))})
        try:
            self.process.stdin.write(message)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.read()  # reports how the process ended
            raise
        reply = self.read()
        if "return" in reply:
            return wire.decode(reply["return"])
        if "raise" in reply and type(reply["raise"]) is dict:
            raise remote_exception(reply["raise"])
        raise CandidateGone("the solution's process sent a malformed reply")


def remote_exception(info):
    """A plain exception for one the candidate raised: built-in types keep their type, others become CandidateError."""
    name = info.get("type") if type(info.get("type")) is str else "Exception"
    message = info.get("message") if type(info.get("message")) is str else ""
    where = info.get("where") if type(info.get("where")) is str else ""
    text = f"{message} (at {where})" if where else message
    kind = getattr(builtins, name, None) if name.isidentifier() else None
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            return kind(text)
        except Exception:  # noqa: BLE001  (UnicodeDecodeError and friends need more arguments)
            pass
    return CandidateError(f"{name}: {text}")


def stub(name, candidate):
    def call(*args, **kwargs):
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        return candidate.call(name, args, kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def proxy_module(name, ready, candidate):
    """The candidate's module as the tests see it: stubs for its functions, copies of its plain data."""
    module = types.ModuleType(name)
    for function in ready.get("functions", []):
        if type(function) is str and function.isidentifier():
            setattr(module, function, stub(function, candidate))
    for key, value in dict(ready.get("values", {})).items():
        if type(key) is str and key.isidentifier():
            setattr(module, key, wire.decode(value))
    for key, module_name in dict(ready.get("modules", {})).items():
        top = module_name.split(".")[0] if type(module_name) is str else ""
        if type(key) is str and key.isidentifier() and top in sys.stdlib_module_names and top not in UNSAFE_MODULES:
            try:
                setattr(module, key, importlib.import_module(module_name))
            except ImportError:
                pass
    return module
