"""Distributed `seqlab tune`: roles, the token, TLS, checked requests, leases.

The chief's checks are tested on its oracle directly (fast) and over
gRPC on loopback, in this process (`server.serve` in a thread, a client
speaking keras-tuner's protocol) and as real processes (a chief and two
workers, one killed). Every call has a timeout: a hung chief fails the
test instead of hanging it.
"""

import json
import pathlib
import shutil
import subprocess
import threading
import time

import pytest
from tune_testing import KERAS_TUNER_WARNINGS
from tune_testing import QUICK
from tune_testing import TIMEOUT
from tune_testing import check_recorded_once
from tune_testing import command
from tune_testing import env
from tune_testing import free_port
from tune_testing import freeze_in_trial
from tune_testing import oracle_state

kt = pytest.importorskip(
    "keras_tuner",
    reason="keras-tuner is not installed: pip install "
    '"keras-seqlab[tuning]" six',
)
grpc = pytest.importorskip("grpc", reason="grpcio comes with keras-tuner")

from keras_tuner.engine import trial as trial_module  # noqa: E402
from keras_tuner.src import protos  # noqa: E402 - the tests speak the wire

from keras_seqlab.tuning import chief  # noqa: E402
from keras_seqlab.tuning import distributed  # noqa: E402
from keras_seqlab.tuning import server  # noqa: E402

# The chief's oracle, its gRPC service and worker processes: no backend
# changes them (tox runs this in the torch environment only).
pytestmark = [
    pytest.mark.filterwarnings(*KERAS_TUNER_WARNINGS),
    pytest.mark.backend_free,
]

TOKEN = "test-token-0123456789abcdef"
CALL = 10  # seconds a test waits for one reply


# -- the chief's oracle -------------------------------------------------------


def _oracle(tmp_path, max_trials=3):
    oracle = kt.oracles.RandomSearchOracle(
        objective="val_loss", max_trials=max_trials, seed=1
    )
    oracle.hyperparameters.Int("units", 8, 128)
    oracle._set_project_dir(str(tmp_path), "leases")
    return chief.enable_leases(oracle, lease=5)


def _ok(outcome):
    result, error = outcome
    assert error is None, error
    return result


def _refused(outcome, code, text):
    result, error = outcome
    assert isinstance(error, chief.Refused), (result, error)
    assert error.code == code, error
    assert text in str(error), str(error)


def _complete(oracle, worker, trial, score):
    _ok(
        oracle.handle(
            worker, "update_trial", trial.trial_id, {"val_loss": score}, 0
        )
    )
    trial.status = "COMPLETED"
    _ok(oracle.handle(worker, "end_trial", trial))


def _lock_is_free(oracle):
    """Whether another thread can take the oracle's lock (within 5 s)."""
    done = threading.Event()
    threading.Thread(
        target=lambda: (oracle.finished(), done.set()), daemon=True
    ).start()
    return done.wait(5)


def test_unknown_trial_is_refused_and_leaves_no_lock_held(tmp_path):
    oracle = _oracle(tmp_path)
    for request, args in (
        ("get_trial", ("nosuch",)),
        ("update_trial", ("nosuch", {"val_loss": 1.0}, 0)),
    ):
        _refused(oracle.handle("a", request, *args), "NOT_FOUND", "nosuch")
        assert _lock_is_free(oracle)
    trial = trial_module.Trial(oracle.get_space(), trial_id="nosuch")
    trial.status = "COMPLETED"
    _refused(oracle.handle("a", "end_trial", trial), "NOT_FOUND", "nosuch")
    assert _lock_is_free(oracle)
    # A failure of the chief itself is returned too, and frees the lock.
    _, error = oracle.handle("a", "no_such_request")
    assert isinstance(error, AttributeError)
    assert _lock_is_free(oracle)


def test_forged_results_are_refused_and_nothing_is_recorded(tmp_path):
    oracle = _oracle(tmp_path)
    a = _ok(oracle.handle("a", "create_trial", "a"))
    _ok(oracle.handle("b", "create_trial", "b"))
    issued = dict(a.hyperparameters.values)
    # Another worker, or no worker, cannot report for "a"'s trial.
    for worker in ("b", "mallory", ""):
        _refused(
            oracle.handle(
                worker, "update_trial", a.trial_id, {"val_loss": -1000.0}, 0
            ),
            "PERMISSION_DENIED",
            "held by worker 'a'",
        )
    # Asking for a trial under another worker's name.
    _refused(
        oracle.handle("mallory", "create_trial", "a"),
        "PERMISSION_DENIED",
        "asked for a trial as 'a'",
    )
    # The holder cannot report a score better than any possible one ...
    _refused(
        oracle.handle(
            "a", "update_trial", a.trial_id, {"val_loss": float("-inf")}, 0
        ),
        "INVALID_ARGUMENT",
        "would rank above every trial",
    )
    # ... nor other values than it was given, nor values outside the space,
    # nor a status that does not end a trial.
    forged = trial_module.Trial(oracle.get_space(), trial_id=a.trial_id)
    forged.hyperparameters.values = {**issued, "units": 3}
    forged.status = "COMPLETED"
    _refused(
        oracle.handle("a", "end_trial", forged),
        "INVALID_ARGUMENT",
        f"units=3 (issued {issued['units']})",
    )
    forged.hyperparameters.values = {**issued, "extra": 1}
    _refused(
        oracle.handle("a", "end_trial", forged),
        "INVALID_ARGUMENT",
        "extra=1 (outside the space)",
    )
    forged.hyperparameters.values = issued
    forged.status = "RUNNING"
    _refused(
        oracle.handle("a", "end_trial", forged), "INVALID_ARGUMENT", "RUNNING"
    )
    # A worker whose space has entries the chief's has not runs other
    # settings.
    other = oracle.get_space()
    other.Int("secret", 1, 2)
    _refused(
        oracle.handle("a", "update_space", other),
        "FAILED_PRECONDITION",
        "secret",
    )
    # Nothing of that reached the record; the honest result does.
    assert a.trial_id not in oracle.end_order
    assert not oracle.trials[a.trial_id].metrics.exists("val_loss")
    _complete(oracle, "a", a, 0.25)
    recorded = oracle.trials[a.trial_id]
    assert recorded.score == 0.25
    assert recorded.hyperparameters.values == issued
    assert "secret" not in {hp.name for hp in oracle.hyperparameters.space}


def test_lease_hands_a_lost_workers_trial_to_the_next(tmp_path, capsys):
    oracle = _oracle(tmp_path)
    a = _ok(oracle.handle("a", "create_trial", "a"))
    b = _ok(oracle.handle("b", "create_trial", "b"))
    assert (a.status, b.status) == ("RUNNING", "RUNNING")
    # "b" keeps calling; "a" falls silent for longer than the lease.
    oracle._heard["a"] -= 6
    _ok(oracle.handle("b", "get_trial", b.trial_id))
    assert oracle.expire() == (["a"], None)
    assert "a" not in oracle.tuner_ids and "a" not in oracle.ongoing_trials
    assert "worker 'a' unheard for 5 s: lost" in capsys.readouterr().err
    _complete(oracle, "b", b, 0.5)
    again = _ok(oracle.handle("b", "create_trial", "b"))
    assert again.trial_id == a.trial_id
    assert again.hyperparameters.values == a.hyperparameters.values
    # Now "b" holds it: "a" (back from the dead) may not report for it.
    _refused(
        oracle.handle("a", "update_trial", a.trial_id, {"val_loss": 0.1}, 0),
        "PERMISSION_DENIED",
        "held by worker 'b'",
    )
    # The last new trial goes to "c"; "b" must wait while "c" holds it.
    c = _ok(oracle.handle("c", "create_trial", "c"))
    assert c.status == "RUNNING" and c.trial_id not in (a.trial_id, b.trial_id)
    _complete(oracle, "b", again, 0.4)
    assert _ok(oracle.handle("b", "create_trial", "b")).status == "IDLE"
    assert "b" in oracle.tuner_ids
    _complete(oracle, "c", c, 0.3)
    assert _ok(oracle.handle("b", "create_trial", "b")).status == "STOPPED"
    assert _ok(oracle.handle("c", "create_trial", "c")).status == "STOPPED"
    assert oracle.finished()
    assert sorted(oracle.end_order) == sorted(
        {a.trial_id, b.trial_id, c.trial_id}
    )


def test_lease_drops_a_second_result_and_accepts_a_late_one(tmp_path):
    oracle = _oracle(tmp_path, max_trials=2)
    a = _ok(oracle.handle("a", "create_trial", "a"))
    oracle._heard["a"] -= 6
    assert oracle.expire() == (["a"], None)
    # "a" was only slow: its result arrives while the trial waits for a
    # new worker. It counts, and the trial is not run again.
    _complete(oracle, "a", a, 0.5)
    assert a.trial_id not in oracle._retry_queue
    b = _ok(oracle.handle("b", "create_trial", "b"))
    assert b.trial_id != a.trial_id
    # A second result for a recorded trial is dropped, metrics and all.
    _complete(oracle, "a", a, 0.1)
    assert oracle.trials[a.trial_id].metrics.get_best_value("val_loss") == 0.5
    assert oracle.end_order == [a.trial_id]
    assert oracle.trials[a.trial_id].score == 0.5
    # The saved state has no trial left running once it has ended.
    _complete(oracle, "b", b, 0.2)
    state = json.loads(pathlib.Path(oracle._get_oracle_fname()).read_text())
    assert state["ongoing_trials"] == {}


# -- roles and settings -------------------------------------------------------


def test_role_from_flags_and_environment():
    assert distributed.role(environ={}) is None
    chief_role = distributed.role(
        chief=True, oracle="10.0.0.1:9000", environ={}, token=TOKEN
    )
    assert chief_role == {
        "tuner_id": "chief",
        "ip": "10.0.0.1",
        "port": 9000,
        "token": TOKEN,
        "token_generated": False,
        "certificate": None,
        "key": None,
    }
    environ = {
        "KERASTUNER_TUNER_ID": "w7",
        "KERASTUNER_ORACLE_IP": "10.0.0.2",
        "KERASTUNER_ORACLE_PORT": "8001",
        "SEQLAB_TUNE_TOKEN": TOKEN,
    }
    role = distributed.role(environ=environ)
    assert (role["tuner_id"], role["ip"], role["port"]) == (
        "w7",
        "10.0.0.2",
        8001,
    )
    assert role["token"] == TOKEN and not role["token_generated"]
    # A flag wins over the environment.
    assert distributed.role(worker="w1", environ=environ)["tuner_id"] == "w1"
    assert (
        distributed.role(environ=environ, token="x" * 20)["token"] == "x" * 20
    )
    env_out = {}
    distributed.set_environment(role, env_out)
    assert env_out == {k: v for k, v in environ.items() if "KERASTUNER" in k}
    # A chief without a token makes a long random one, new every time.
    made = [
        distributed.role(chief=True, oracle="h:1", environ={}) for _ in range(2)
    ]
    assert all(m["token_generated"] for m in made)
    assert made[0]["token"] != made[1]["token"]
    assert len(made[0]["token"]) >= distributed.MIN_TOKEN_LENGTH


@pytest.mark.parametrize(
    "address, expected",
    [
        ("127.0.0.1:18604", ("127.0.0.1", 18604)),
        ("example.org", ("example.org", 8000)),
        ("[::1]:9000", ("[::1]", 9000)),
        ("0.0.0.0:1", ("0.0.0.0", 1)),
    ],
)
def test_parse_address(address, expected):
    assert distributed.parse_address(address) == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(chief=True, token=TOKEN),
            "`chief` and `worker` need the chief's",
        ),
        (dict(worker="chief", oracle="h:1"), "a worker ID must be"),
        (dict(worker="mychief", oracle="h:1"), "without 'chief' in it"),
        (dict(worker="w 1", oracle="h:1"), "a worker ID must be"),
        (dict(oracle="h:1"), "pass `chief` or `worker` ID"),
        (dict(chief=True, oracle="h:99999"), "`oracle` must be HOST:PORT"),
        # ":PORT" was read as host "18604", port 8000.
        (dict(chief=True, oracle=":18604"), "`oracle` must be HOST:PORT"),
        (dict(chief=True, oracle="::1"), "`oracle` must be HOST:PORT"),
        (dict(worker="w1", oracle="h:1"), "a worker needs the search's token"),
        (dict(chief=True, oracle="h:1", token="short"), "at least 16"),
        (dict(chief=True, oracle="h:1", token="é" * 20), "printable ASCII"),
        (dict(token=TOKEN), "are for a distributed search"),
        (
            dict(chief=True, oracle="h:1", tls_cert="c.pem"),
            "needs both `tls_cert` and `tls_key`",
        ),
        (
            dict(worker="w1", oracle="h:1", token=TOKEN, tls_key="k.pem"),
            "a worker passes only `tls_cert`",
        ),
        (
            dict(
                worker="w1", oracle="h:1", token=TOKEN, tls_cert="/no/such.pem"
            ),
            "cannot read `tls_cert` '/no/such.pem'",
        ),
    ],
)
def test_role_errors(kwargs, message):
    with pytest.raises(ValueError) as error:
        distributed.role(environ={}, **kwargs)
    assert "seqlab tune" not in str(error.value)  # no CLI wording here
    assert message in str(error.value)


@pytest.mark.parametrize("lease", [float("nan"), float("inf"), 4.9, "60", True])
def test_lease_must_be_finite_and_long_enough(lease):
    with pytest.raises(ValueError, match="`lease` must be a"):
        distributed.check_lease(lease)


def test_a_non_pem_certificate_is_refused(tmp_path):
    path = tmp_path / "cert.pem"
    path.write_text("not a certificate")
    with pytest.raises(ValueError, match="is not a PEM file"):
        distributed.role(
            worker="w1", oracle="h:1", token=TOKEN, tls_cert=path, environ={}
        )


# -- over gRPC, in this process -----------------------------------------------


def _make_certificate(folder):
    """A self-signed certificate for 127.0.0.1: `(cert path, key path)`,
    or None without openssl."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    made = _make_certificate(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("openssl is not installed: no certificate to test TLS")
    return made


class _Chief:
    """`server.serve` of a small oracle in a thread, and clients of it."""

    def __init__(self, tmp_path, tls=None, max_trials=2):
        self.oracle = _oracle(tmp_path, max_trials=max_trials)
        self.address = f"127.0.0.1:{free_port()}"
        cert, key = tls or (None, None)
        self.role = distributed.role(
            chief=True,
            oracle=self.address,
            token=TOKEN,
            tls_cert=cert,
            tls_key=key,
            environ={},
        )
        self.cert = cert
        self.lines, self.error = [], None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            server.serve(self.oracle, self.role, say=self.lines.append)
        except Exception as error:  # noqa: BLE001 - checked by the test
            self.error = error

    def client(self, worker="w1", token=TOKEN, cert="same"):
        role = distributed.role(
            worker=worker,
            oracle=self.address,
            token=token,
            tls_cert=self.cert if cert == "same" else cert,
            environ={},
        )
        return protos.get_service_grpc().OracleStub(server.channel(role))

    def bare_client(self):
        channel = grpc.insecure_channel(self.address)
        return protos.get_service_grpc().OracleStub(channel)

    def finish(self):
        self.thread.join(30)
        assert not self.thread.is_alive(), "the chief did not finish"
        assert self.error is None, self.error


def _messages():
    return protos.get_service()


def _code(call):
    with pytest.raises(grpc.RpcError) as error:
        call()
    return error.value.code(), error.value.details()


def _work(stub, worker="w1"):
    """Runs trials as `worker` until the chief says stop; returns them."""
    m = _messages()
    ran = []
    for _ in range(20):
        reply = stub.CreateTrial(
            m.CreateTrialRequest(tuner_id=worker),
            timeout=CALL,
            wait_for_ready=True,
        )
        trial = trial_module.Trial.from_proto(reply.trial)
        if trial.status == "STOPPED":
            return ran
        if trial.status == "IDLE":
            time.sleep(0.2)
            continue
        stub.UpdateTrial(
            m.UpdateTrialRequest(
                trial_id=trial.trial_id, metrics={"val_loss": 0.5}, step=0
            ),
            timeout=CALL,
        )
        trial.status = "COMPLETED"
        stub.EndTrial(m.EndTrialRequest(trial=trial.to_proto()), timeout=CALL)
        ran.append(trial.trial_id)
    raise AssertionError("the chief never said stop")


def test_requests_without_the_token_are_refused(tmp_path):
    chief_ = _Chief(tmp_path)
    m = _messages()
    for stub in (
        chief_.bare_client(),
        chief_.client(token="wrong-token-0123456789"),
    ):
        code, details = _code(
            lambda stub=stub: stub.GetSpace(
                m.GetSpaceRequest(), timeout=CALL, wait_for_ready=True
            )
        )
        assert code == grpc.StatusCode.UNAUTHENTICATED
        assert "wrong or missing token" in details
        code, _ = _code(
            lambda stub=stub: stub.CreateTrial(
                m.CreateTrialRequest(tuner_id="w9"), timeout=CALL
            )
        )
        assert code == grpc.StatusCode.UNAUTHENTICATED
    assert not chief_.oracle.tuner_ids and not chief_.oracle.trials
    assert any(
        "refused a request without the search's token" in line
        for line in chief_.lines
    )
    # The search goes on with the token.
    assert len(_work(chief_.client())) == 2
    chief_.finish()


def test_bad_requests_get_errors_and_the_search_still_finishes(tmp_path):
    chief_ = _Chief(tmp_path)
    m = _messages()
    stub, intruder = chief_.client("w1"), chief_.client("w2")
    for _ in range(3):
        code, details = _code(
            lambda: stub.GetTrial(
                m.GetTrialRequest(trial_id="nosuch"),
                timeout=CALL,
                wait_for_ready=True,
            )
        )
        assert code == grpc.StatusCode.NOT_FOUND and "nosuch" in details
    held = trial_module.Trial.from_proto(
        stub.CreateTrial(
            m.CreateTrialRequest(tuner_id="w1"), timeout=CALL
        ).trial
    )
    code, details = _code(
        lambda: intruder.UpdateTrial(
            m.UpdateTrialRequest(
                trial_id=held.trial_id, metrics={"val_loss": -1000.0}, step=0
            ),
            timeout=CALL,
        )
    )
    assert (
        code == grpc.StatusCode.PERMISSION_DENIED
        and "held by worker 'w1'" in details
    )
    forged = trial_module.Trial.from_proto(held.to_proto())
    forged.hyperparameters.values["units"] = 3
    forged.status = "COMPLETED"
    code, details = _code(
        lambda: stub.EndTrial(
            m.EndTrialRequest(trial=forged.to_proto()), timeout=CALL
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "units=3" in details
    # An intruder that asks as w1 is refused too.
    code, _ = _code(
        lambda: intruder.CreateTrial(
            m.CreateTrialRequest(tuner_id="w1"), timeout=CALL
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    # The honest worker finishes its trial and the search.
    stub.UpdateTrial(
        m.UpdateTrialRequest(
            trial_id=held.trial_id, metrics={"val_loss": 0.5}, step=0
        ),
        timeout=CALL,
    )
    held.status = "COMPLETED"
    stub.EndTrial(m.EndTrialRequest(trial=held.to_proto()), timeout=CALL)
    assert len(_work(stub)) == 1
    chief_.finish()
    scores = sorted(t.score for t in chief_.oracle.trials.values())
    assert scores == [0.5, 0.5]
    assert all(
        8 <= t.hyperparameters.values["units"] <= 128
        for t in chief_.oracle.trials.values()
    )


def test_tls_serves_only_encrypted_clients(tmp_path, certificate):
    chief_ = _Chief(tmp_path, tls=certificate)
    m = _messages()
    # A client that does not speak TLS gets no answer.
    code, _ = _code(
        lambda: chief_.bare_client().GetSpace(m.GetSpaceRequest(), timeout=3)
    )
    assert code in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    )
    # With the certificate and the token, the search runs.
    assert len(_work(chief_.client())) == 2
    chief_.finish()


def test_a_taken_port_is_a_settings_error(tmp_path):
    first = _Chief(tmp_path / "a")
    m = _messages()
    first.client().GetSpace(
        m.GetSpaceRequest(), timeout=CALL, wait_for_ready=True
    )
    oracle = _oracle(tmp_path / "b")
    with pytest.raises(ValueError, match="cannot listen on `oracle`"):
        server.serve(oracle, first.role, say=lambda line: None)
    _work(first.client())
    first.finish()


# -- real processes -----------------------------------------------------------


@pytest.mark.slow
def test_distributed_search_survives_a_killed_worker(tmp_path):
    """A chief and two workers on loopback (TLS where openssl is
    installed); one is killed mid-trial."""
    trials, epochs = 4, 12
    made = _make_certificate(tmp_path)
    tls = ["--tls-cert", str(made[0])] if made else []
    key = ["--tls-key", str(made[1])] if made else []
    common = command(
        "dense",
        *QUICK,
        "--epochs",
        str(epochs),
        "--patience",
        str(epochs),
        "--max-trials",
        str(trials),
        "--out",
        str(tmp_path / "search"),
        "--oracle",
        f"127.0.0.1:{free_port()}",
        *tls,
    )
    project = tmp_path / "search" / "dense"
    logs = {name: tmp_path / f"{name}.log" for name in ("chief", "w1", "w2")}
    processes = {}
    environ = dict(env(), SEQLAB_TUNE_TOKEN=TOKEN)
    try:
        for name, role in (
            ("chief", ["--chief", "--lease", "5", *key]),
            ("w1", ["--worker", "w1"]),
            ("w2", ["--worker", "w2"]),
        ):
            processes[name] = subprocess.Popen(
                common + role,
                env=environ,
                stdout=logs[name].open("w"),
                stderr=subprocess.STDOUT,
            )
        killed = freeze_in_trial(processes["w1"], logs["w1"], epochs)
        processes["w1"].kill()
        assert processes["chief"].wait(timeout=TIMEOUT) == 0, logs[
            "chief"
        ].read_text()
        assert processes["w2"].wait(timeout=60) == 0, logs["w2"].read_text()
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    w1 = logs["w1"].read_text()
    assert f"trial {killed}/{trials}:" in w1
    assert f"trial {killed} done" not in w1
    chief_log = logs["chief"].read_text()
    assert ("(TLS)" in chief_log) == bool(made) and TOKEN not in chief_log
    assert f"worker 'w1' unheard for 5 s: lost; trial {killed}" in chief_log
    recorded = check_recorded_once(project, trials)
    assert killed in recorded
    assert f"trial {killed} done: val_loss" in logs["w2"].read_text()
    assert oracle_state(project)["ongoing_trials"] == {}
    summary = json.loads((project / "summary.json").read_text())
    assert summary["completed"] == trials
    assert (project / "best_model.keras").exists()
