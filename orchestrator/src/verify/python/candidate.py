"""The untrusted half of grading: runs inside the sandbox, imports the candidate's module, answers calls.

Usage: python -I candidate.py WORKSPACE MODULE
The grader (outside the sandbox) holds the tests. It calls the candidate's functions through this process with
plain data (wire.py) and judges the results itself, so nothing the candidate does here can write the verdict.

Protocol, one JSON line each way. First, to the grader:
  {"ready": {"functions": [name...], "values": {name: value}, "modules": {name: module}}}  or  {"error": traceback}
Then for each request {"call": name, "args": [...], "kwargs": {...}}:
  {"return": value}  or  {"raise": {"type", "message", "where"}}
"""
import os
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire  # noqa: E402

WORKSPACE, MODULE = sys.argv[1], sys.argv[2]
REQUESTS = os.fdopen(os.dup(0), "rb")  # private copies: the candidate's own prints and reads cannot touch these
REPLIES = os.fdopen(os.dup(1), "wb")
os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
os.dup2(2, 1)
sys.stdin = open(os.devnull)
sys.stdout = sys.stderr


def send(message):
    REPLIES.write(wire.dumps(message))
    REPLIES.flush()


def where(error):
    """The candidate's own frame closest to the error, relative to the workspace."""
    import traceback  # only on failure: importing it costs as much as starting Python

    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith(WORKSPACE + os.sep):
            return f"{os.path.relpath(frame.filename, WORKSPACE)}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
    return ""


def describe(module):
    functions, values, modules = [], {}, {}
    for name, value in vars(module).items():
        if name.startswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            modules[name] = value.__name__
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
            functions.append(name)
        elif not callable(value):
            try:
                values[name] = wire.encode(value)
            except wire.NotPlainData:
                pass  # classes, typing aliases and objects stay behind; tests use functions and data
    return {"functions": functions, "values": values, "modules": modules}


def main():
    os.chdir(WORKSPACE)
    sys.path.insert(0, WORKSPACE)
    try:
        module = __import__(MODULE)
        ready = describe(module)
    except BaseException:  # noqa: BLE001  (SyntaxError, an exception at import, SystemExit...)
        import traceback

        send({"error": traceback.format_exc()[-8000:]})
        return
    send({"ready": ready})
    for line in REQUESTS:
        if not line.strip():
            continue
        request = wire.loads(line)
        try:
            args = wire.decode(request["args"])
            kwargs = wire.decode(request["kwargs"])
            result = getattr(module, request["call"])(*args, **kwargs)
            reply = {"return": wire.encode(result)}
        except BaseException as error:  # noqa: BLE001  (the test decides what an exception means)
            try:
                message = str(error)[:2000]
            except BaseException:  # noqa: BLE001  (an exception whose __str__ raises)
                message = "(unprintable)"
            reply = {"raise": {"type": type(error).__name__, "message": message, "where": where(error)}}
        send(reply)


main()
