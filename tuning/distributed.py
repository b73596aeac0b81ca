"""keras-tuner's chief/worker mode: roles, the token, heartbeats.

keras-tuner runs a distributed search as one chief (the oracle, a gRPC
server) and N workers (each asks the chief for a trial, trains it and
reports the result). It chooses the role from three environment variables:
`KERASTUNER_TUNER_ID` (`"chief"` or a worker's name),
`KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`.

`role(...)` reads the flags (or those variables) and the search's secret:
`token` or `SEQLAB_TUNE_TOKEN`; a chief given neither makes one and
prints it, a worker must have it. With a certificate and key the chief
serves TLS, and workers given the certificate verify the chief with it
(`tuning.server`). The chief checks every request (`tuning.chief`) and
leases trials: a worker (`Heartbeat`) calls the chief every
`HEARTBEAT_SECONDS` while it trains, and one unheard for `lease` seconds
is lost, its trial handed to the next worker. A worker restarted under
its old ID before its lease runs out gets its trial back, as keras-tuner
intends.
"""

import math
import numbers
import os
import pathlib
import secrets
import threading

from keras_seqlab.experiments.settings import SettingsError

HEARTBEAT_SECONDS = 1.0
# A worker is declared lost after this many silent heartbeat periods at
# the least.
MIN_LEASE_SECONDS = 5.0
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_PORT = 8000
CHIEF = "chief"
TOKEN_ENV = "SEQLAB_TUNE_TOKEN"
MIN_TOKEN_LENGTH = 16
_ROLE_FIELDS = ("chief", "worker", "oracle")

_ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")


def parse_address(address):
    """`(host, port)` of `"HOST:PORT"` (or `"HOST"`, port 8000).

    An IPv6 host goes in brackets: `[::1]:8000`. `":PORT"` is refused: a
    chief bound to every interface should say so (`0.0.0.0:PORT`).
    """
    text = str(address).strip()
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = text, str(DEFAULT_PORT)
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        host = ""  # an IPv6 address without brackets: ambiguous
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(
            "`oracle` must be HOST:PORT with a host (127.0.0.1, a name, "
            "[::1], or 0.0.0.0 for every interface) and a port in "
            f"1-65535, got {address!r}.",
            "oracle",
        )
    return host, int(port)


def check_lease(lease):
    """`lease` as a float; raises unless it is a finite number of seconds
    of at least `MIN_LEASE_SECONDS`."""
    if lease is None:
        return DEFAULT_LEASE_SECONDS
    if isinstance(lease, bool) or not isinstance(lease, numbers.Real):
        raise SettingsError(
            f"`lease` must be a number of seconds, got {lease!r}.", "lease"
        )
    if not math.isfinite(lease) or lease < MIN_LEASE_SECONDS:
        raise SettingsError(
            f"`lease` must be a finite number of seconds, at least "
            f"{MIN_LEASE_SECONDS:g} ({HEARTBEAT_SECONDS:g} s between "
            f"heartbeats), got {lease!r}.",
            "lease",
        )
    return float(lease)


def role(
    chief=False,
    worker=None,
    oracle=None,
    environ=None,
    token=None,
    tls_cert=None,
    tls_key=None,
):
    """The distributed role from the flags, else from the environment.

    Args:
        chief: run as the chief (the oracle server).
        worker: run as the worker of this ID.
        oracle: `"HOST:PORT"` of the chief; default from
            `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`.
        environ: the environment to read (default `os.environ`).
        token: the search's secret (default `SEQLAB_TUNE_TOKEN`; a chief
            without one makes one).
        tls_cert: a PEM certificate file: the chief's (with `tls_key`),
            or, on a worker, the one it trusts the chief with.
        tls_key: the chief's PEM private key file.

    Returns:
        `None` for a single-process search, else a dict with `tuner_id`,
        `ip` and `port` (the values of the three `KERASTUNER_*`
        variables), `token`, `token_generated` (bool), and `certificate`
        and `key` (bytes, or None).

    Raises:
        SettingsError: contradictory, incomplete or malformed settings.
    """
    environ = os.environ if environ is None else environ
    if chief and worker is not None:
        raise SettingsError(
            "pass `chief` or `worker` ID, not both.", *_ROLE_FIELDS
        )
    if worker is not None:
        _check_worker(worker)
    tuner_id = CHIEF if chief else worker
    if tuner_id is None:
        tuner_id = environ.get("KERASTUNER_TUNER_ID")
    if oracle is not None:
        ip, port = parse_address(oracle)
    elif environ.get("KERASTUNER_ORACLE_IP"):
        ip = environ["KERASTUNER_ORACLE_IP"]
        port_text = environ.get("KERASTUNER_ORACLE_PORT", "")
        if not port_text.isdigit():
            raise SettingsError(
                f"KERASTUNER_ORACLE_IP is set, so "
                "KERASTUNER_ORACLE_PORT must be a port number, got "
                f"{port_text!r}.",
                *_ROLE_FIELDS,
            )
        port = int(port_text)
    else:
        ip = port = None
    if tuner_id is None and ip is None:
        if token is not None or tls_cert is not None or tls_key is not None:
            raise SettingsError(
                "`token`, `tls_cert` and `tls_key` are for a distributed "
                "search: pass `chief` or `worker` ID too.",
                "token",
                "tls_cert",
                "tls_key",
            )
        return None
    if tuner_id is None:
        raise SettingsError(
            "an oracle address is set, but not the role: pass "
            "`chief` or `worker` ID (or set KERASTUNER_TUNER_ID).",
            *_ROLE_FIELDS,
        )
    if tuner_id != CHIEF:
        _check_worker(tuner_id)
    if ip is None:
        raise SettingsError(
            "`chief` and `worker` need the chief's address: "
            "`oracle` HOST:PORT (or KERASTUNER_ORACLE_IP and "
            "KERASTUNER_ORACLE_PORT).",
            *_ROLE_FIELDS,
        )
    is_chief = tuner_id == CHIEF
    token, generated = _token(token, environ, is_chief)
    certificate, key = _tls(tls_cert, tls_key, is_chief)
    return {
        "tuner_id": str(tuner_id),
        "ip": ip,
        "port": int(port),
        "token": token,
        "token_generated": generated,
        "certificate": certificate,
        "key": key,
    }


def _check_worker(worker):
    # keras-tuner takes any ID containing "chief" for the chief; gRPC
    # metadata carries printable ASCII only.
    text = str(worker)
    if (
        not text
        or CHIEF in text
        or not text.isascii()
        or not text.isprintable()
        or " " in text
    ):
        raise SettingsError(
            f"a worker ID must be a name of printable ASCII characters "
            f"without spaces and without {CHIEF!r} in it, got {worker!r}.",
            *_ROLE_FIELDS,
        )


def _token(token, environ, is_chief):
    """`(token, generated)`: the flag, else the environment, else new."""
    if token is None:
        token = environ.get(TOKEN_ENV) or None
    if token is None:
        if not is_chief:
            raise SettingsError(
                f"a worker needs the search's token: `token` TOKEN or "
                f"{TOKEN_ENV} (the chief prints it when it makes one).",
                "token",
            )
        return secrets.token_urlsafe(24), True
    text = str(token)
    if (
        len(text) < MIN_TOKEN_LENGTH
        or not text.isascii()
        or not text.isprintable()
        or " " in text
    ):
        raise SettingsError(
            f"the token (`token` or {TOKEN_ENV}) must be at least "
            f"{MIN_TOKEN_LENGTH} printable ASCII characters without spaces "
            f"(got {len(text)} characters); make one with python -c "
            "'import secrets; print(secrets.token_urlsafe())'.",
            "token",
        )
    return text, False


def _tls(tls_cert, tls_key, is_chief):
    """`(certificate, key)` as bytes (or None), checked."""
    if tls_key is not None and not is_chief:
        raise SettingsError(
            "`tls_key` is the chief's; a worker passes only `tls_cert` (the "
            "chief's certificate).",
            "tls_key",
        )
    if is_chief and (tls_cert is None) != (tls_key is None):
        raise SettingsError(
            "a chief serving TLS needs both `tls_cert` and `tls_key`.",
            "tls_cert",
            "tls_key",
        )
    read = {}
    for field, path in (("tls_cert", tls_cert), ("tls_key", tls_key)):
        if path is None:
            read[field] = None
            continue
        try:
            data = pathlib.Path(path).read_bytes()
        except OSError as error:
            raise SettingsError(
                f"cannot read `{field}` {str(path)!r}: "
                f"{error.strerror or error}.",
                field,
            ) from None
        if b"-----BEGIN " not in data:
            raise SettingsError(
                f"`{field}` {str(path)!r} is not a PEM file.", field
            )
        read[field] = data
    return read["tls_cert"], read["tls_key"]


def set_environment(distributed, environ=None):
    """Sets the `KERASTUNER_*` variables that keras-tuner reads."""
    environ = os.environ if environ is None else environ
    if distributed is None:
        for name in _ENV:
            environ.pop(name, None)
        return
    environ["KERASTUNER_TUNER_ID"] = distributed["tuner_id"]
    environ["KERASTUNER_ORACLE_IP"] = distributed["ip"]
    environ["KERASTUNER_ORACLE_PORT"] = str(distributed["port"])


class Heartbeat:
    """A daemon thread on a worker: tells the chief it is alive.

    It asks the chief for the trial it trains (a `GetTrial` call) every
    `period` seconds, from a thread, so that a long epoch or compilation
    does not read as silence.
    """

    def __init__(self, oracle, trial_id, period=HEARTBEAT_SECONDS):
        self._oracle = oracle
        self._trial_id = trial_id
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="seqlab-heartbeat", daemon=True
        )
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self._period):
            try:
                self._oracle.get_trial(self._trial_id)
            except Exception:  # noqa: BLE001 - the chief may be busy or gone
                pass

    def stop(self):
        self._stop.set()
        self._thread.join()
