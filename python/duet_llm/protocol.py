"""The job files of duet's worker protocol: reading manifests and writing results.

Both files are lines of ``key = value``. Keys are ``[a-z0-9_.-]+`` and appear once; a value runs
to the end of its line with surrounding blanks removed. In values, ``%``, control characters
and a leading or trailing space are written ``%XX`` (two hex digits); a list is comma-separated
with ``,`` inside an element written ``%2C``. ``#`` starts a comment line. The C reader in
core/exec/jobfile.c applies the same rules.
"""

import math
import os
import re
import socket
import tempfile

PROTOCOL = 1
MANIFEST = "manifest"
RESULT = "result"
MAX_BYTES = 1 << 28

# Worker exit statuses (any other status means the worker crashed).
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_MANIFEST = 3
EXIT_EVALUATION = 4
EXIT_TIMEOUT = 5
EXIT_RESULT = 6

STATUSES = ("ok", "failed", "timeout", "invalid")
METRICS_MAX = 8

_KEY = re.compile(r"[a-z0-9_.\-]+\Z")


class ProtocolError(ValueError):
    """A job file that does not follow the protocol."""


def decode(text, where="value"):
    """Decode %XX escapes; a '%' without two hex digits, or an escaped NUL, is an error."""
    out = bytearray()
    raw = text.encode("utf-8")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != 0x25:  # '%'
            out.append(c)
            i += 1
            continue
        pair = raw[i + 1:i + 3]
        if len(pair) != 2 or not all(chr(b) in "0123456789abcdefABCDEF" for b in pair):
            raise ProtocolError("%s has a '%%' not followed by two hex digits" % where)
        value = int(pair, 16)
        if value == 0:
            raise ProtocolError("%s encodes a NUL byte" % where)
        out.append(value)
        i += 3
    return out.decode("utf-8", errors="strict")


def encode(text, escape_comma=False):
    """Encode a value (or a list element when escape_comma is set) for a job file."""
    out = []
    n = len(text)
    for i, ch in enumerate(text):
        code = ord(ch)
        edge_space = ch == " " and (i == 0 or i == n - 1)
        if code < 0x20 or code == 0x7F or ch == "%" or edge_space or (escape_comma and ch == ","):
            out.append("%%%02X" % code)
        else:
            out.append(ch)
    return "".join(out)


def parse(text, origin):
    """Parse job-file text into a dict of raw (still encoded) values, in file order.

    Every value is checked to decode; use decode() for scalars and split_list() for lists, since
    decoding first would turn an escaped comma into a separator.
    """
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ProtocolError("%s: larger than %d bytes" % (origin, MAX_BYTES))
    if text and not text.endswith("\n"):
        raise ProtocolError("%s: the last line does not end with a newline" % origin)
    values = {}
    for number, line in enumerate(text.split("\n")[:-1], start=1):
        if "\0" in line:
            raise ProtocolError("%s:%d: the line contains a NUL byte" % (origin, number))
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        key = key.rstrip(" \t")
        if not sep or not _KEY.match(key):
            raise ProtocolError("%s:%d: expected 'key = value', got %r" % (origin, number, line[:60]))
        value = value.strip(" \t").rstrip("\r")
        if any(ord(c) < 0x20 and c != "\t" for c in value):
            raise ProtocolError("%s:%d: the value of %r contains a control character" % (origin, number, key))
        if key in values:
            raise ProtocolError("%s:%d: key %r appears twice" % (origin, number, key))
        decode(value, "%s:%d: the value of %r" % (origin, number, key))
        values[key] = value
    return values


def split_list(value, where):
    """Split a raw (undecoded) list value at commas and decode each element."""
    if value == "":
        return []
    return [decode(part, where) for part in value.split(",")]


def _uint(values, key, origin):
    text = values.get(key)
    if text is None:
        raise ProtocolError("%s: key %r is missing" % (origin, key))
    if not re.fullmatch(r"[0-9]+", text) or int(text) >= 1 << 64:
        raise ProtocolError("%s: %s = %r is not an integer in 0..2^64-1" % (origin, key, text))
    return int(text)


def _number(values, key, origin):
    text = values.get(key)
    if text is None:
        raise ProtocolError("%s: key %r is missing" % (origin, key))
    try:
        number = float(text)
    except ValueError:
        raise ProtocolError("%s: %s = %r is not a number" % (origin, key, text)) from None
    if not math.isfinite(number):
        raise ProtocolError("%s: %s = %r is not finite" % (origin, key, text))
    return number


class Manifest:
    """A job manifest: the evaluation's backend and task options, seed and training subset.

    ``backend_options`` and ``task_options`` map option names to their raw (encoded) text, read
    with settings.resolve(); ``items`` maps each pool domain name to the list of item indices
    (0-based within the domain) to train on.
    """

    def __init__(self, values, origin):
        self.values = values
        self.origin = origin
        protocol = _uint(values, "protocol", origin)
        if protocol != PROTOCOL:
            raise ProtocolError("%s: protocol %d is not the version %d this worker reads" % (origin, protocol, PROTOCOL))
        for key in ("job", "backend", "task", "script_dir", "data_dir"):
            if key not in values:
                raise ProtocolError("%s: key %r is missing" % (origin, key))
        self.job = decode(values["job"])
        self.backend = decode(values["backend"])
        self.task = decode(values["task"])
        self.script_dir = decode(values["script_dir"])
        self.data_dir = decode(values["data_dir"])
        self.attempt = _uint(values, "attempt", origin)
        self.points = _uint(values, "points", origin)
        self.seed = _uint(values, "seed", origin)
        self.experiment_seed = _uint(values, "experiment_seed", origin)
        self.timeout = _number(values, "timeout", origin)
        if self.timeout < 0:
            raise ProtocolError("%s: timeout = %g is negative" % (origin, self.timeout))
        n = _uint(values, "domains", origin)
        if not 1 <= n <= 65536:
            raise ProtocolError("%s: domains = %d is outside 1..65536" % (origin, n))
        self.backend_options = _prefixed(values, "backend.")
        self.task_options = _prefixed(values, "task.")
        self.domains = []
        self.sizes = {}
        self.items = {}
        for i in range(1, n + 1):
            name = decode(values.get("domain.%d.name" % i, ""))
            if not name:
                raise ProtocolError("%s: key 'domain.%d.name' is missing or empty" % (origin, i))
            size = _uint(values, "domain.%d.size" % i, origin)
            count = _uint(values, "domain.%d.count" % i, origin)
            raw = values.get("domain.%d.items" % i)
            if raw is None:
                raise ProtocolError("%s: key 'domain.%d.items' is missing" % (origin, i))
            items = [] if raw == "" else raw.split(",")
            if len(items) != count:
                raise ProtocolError("%s: domain.%d.items lists %d ids, count says %d" % (origin, i, len(items), count))
            ids = []
            for text in items:
                if not text.isdigit() or int(text) >= size:
                    raise ProtocolError("%s: domain.%d.items has id %r outside 0..%d" % (origin, i, text, size - 1))
                ids.append(int(text))
            if name in self.sizes:
                raise ProtocolError("%s: domain %r is listed twice" % (origin, name))
            self.domains.append(name)
            self.sizes[name] = size
            self.items[name] = ids

    @property
    def total(self):
        return sum(len(ids) for ids in self.items.values())


def _prefixed(values, prefix):
    return {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}


def read_manifest(job_dir):
    """Read and validate JOB_DIR/manifest; raises ProtocolError or OSError."""
    path = os.path.join(job_dir, MANIFEST)
    with open(path, "r", encoding="utf-8") as f:
        text = f.read(MAX_BYTES + 1)
    return Manifest(parse(text, path), path)


def format_result(status, feedback=None, value=None, seconds=0.0, metrics=None, error=None,
                  worker=None, host=None):
    """Format a result file. An ok result needs a finite feedback; metrics is a list of pairs."""
    if status not in STATUSES:
        raise ValueError("status %r is not one of %s" % (status, ", ".join(STATUSES)))
    lines = ["# duet job result (see docs/worker-protocol.md)", "protocol = %d" % PROTOCOL,
             "status = %s" % status]

    def number(x):
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "nan"
        return repr(float(x))

    if status == "ok":
        if feedback is None or not math.isfinite(float(feedback)):
            raise ValueError("an ok result needs a finite feedback, got %r" % (feedback,))
        if seconds is None or not math.isfinite(float(seconds)) or float(seconds) < 0:
            raise ValueError("seconds must be a finite number >= 0, got %r" % (seconds,))
        metrics = list(metrics or [])
        if len(metrics) > METRICS_MAX:
            raise ValueError("at most %d metrics, got %d" % (METRICS_MAX, len(metrics)))
        lines += ["feedback = %s" % number(feedback), "value = %s" % number(value),
                  "seconds = %s" % number(seconds), "metrics = %d" % len(metrics)]
        for i, (name, metric) in enumerate(metrics, start=1):
            if not name:
                raise ValueError("metric %d has an empty name" % i)
            lines.append("metric.%d.name = %s" % (i, encode(str(name))))
            lines.append("metric.%d.value = %s" % (i, number(metric)))
    else:
        lines.append("error = %s" % encode(error or "no message"))
    lines.append("host = %s" % encode(host if host is not None else socket.gethostname()))
    lines.append("worker = %s" % encode(worker or "duet_llm"))
    return "\n".join(lines) + "\n"


def write_result(job_dir, text):
    """Write JOB_DIR/result atomically: a temporary file, fsync, rename, fsync of the folder."""
    fd, tmp = tempfile.mkstemp(prefix="result.tmp.", dir=job_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(job_dir, RESULT))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(job_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def capture_output(job_dir):
    """Append this process's stdout and stderr to JOB_DIR/stdout and JOB_DIR/stderr."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        target = os.open(os.path.join(job_dir, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)
