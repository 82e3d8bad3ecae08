"""Values crossing the sandbox wall between the grader (trusted) and the candidate (untrusted): plain data only.

Tagged JSON, one message per line. The decoder is the trusted side's only contact with candidate output, so it
builds nothing but exact builtins (an object whose __eq__ always says True cannot come back) and refuses
anything it does not know, too deep, or too large.
"""
import base64
import json

MAX_DEPTH = 100
MAX_LINE_BYTES = 32 * 1024 * 1024


class WireError(ValueError):
    """A message that is not valid plain data."""


class NotPlainData(TypeError):
    """A value with no plain-data form (a generator, a function, an object of the candidate's class)."""


def encode(value, depth=0):
    if depth > MAX_DEPTH:
        raise NotPlainData("the value is nested too deeply")
    if value is None or value is True or value is False:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return {"i": int.__repr__(value)}
    if isinstance(value, float):
        return {"f": float.__repr__(value)}
    if isinstance(value, complex):
        return {"c": [float.__repr__(value.real), float.__repr__(value.imag)]}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        return {"b": base64.b64encode(bytes(value)).decode()}
    nested = depth + 1
    if isinstance(value, list):
        return {"l": [encode(item, nested) for item in value]}
    if isinstance(value, tuple):
        return {"t": [encode(item, nested) for item in value]}
    if isinstance(value, dict):
        return {"d": [[encode(k, nested), encode(v, nested)] for k, v in value.items()]}
    if isinstance(value, frozenset):
        return {"fs": [encode(item, nested) for item in value]}
    if isinstance(value, set):
        return {"s": [encode(item, nested) for item in value]}
    raise NotPlainData(f"a {type(value).__name__} object cannot be passed between the test and the sandboxed solution")


def decode(data, depth=0):
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if data is None or data is True or data is False or type(data) is str:
        return data
    if type(data) is not dict or len(data) != 1:
        raise WireError(f"unexpected {type(data).__name__}")
    ((tag, body),) = data.items()
    nested = depth + 1
    try:
        if tag == "i" and type(body) is str:
            return int(body)
        if tag == "f" and type(body) is str:
            return float(body)
        if tag == "c" and type(body) is list and len(body) == 2:
            return complex(float(body[0]), float(body[1]))
        if tag == "b" and type(body) is str:
            return base64.b64decode(body, validate=True)
        if type(body) is not list:
            raise WireError(f"bad body for tag {tag!r}")
        if tag == "l":
            return [decode(item, nested) for item in body]
        if tag == "t":
            return tuple(decode(item, nested) for item in body)
        if tag == "d":
            out = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise WireError("bad dict entry")
                out[decode(pair[0], nested)] = decode(pair[1], nested)
            return out
        if tag == "s":
            return {decode(item, nested) for item in body}
        if tag == "fs":
            return frozenset(decode(item, nested) for item in body)
    except (TypeError, ValueError, OverflowError) as error:
        if isinstance(error, WireError):
            raise
        raise WireError(f"bad {tag!r} value: {error}") from None
    raise WireError(f"unknown tag {tag!r}")


def dumps(message):
    return (json.dumps(message, allow_nan=False, separators=(",", ":")) + "\n").encode()


def loads(line):
    if len(line) > MAX_LINE_BYTES:
        raise WireError(f"message over {MAX_LINE_BYTES} bytes")
    try:
        message = json.loads(line)
    except ValueError as error:
        raise WireError(f"not JSON: {error}") from None
    if type(message) is not dict:
        raise WireError("not a JSON object")
    return message

