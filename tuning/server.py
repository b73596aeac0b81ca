"""The wire of a distributed search: keras-tuner's gRPC service, guarded.

keras-tuner's chief serves its oracle over gRPC to anyone who connects,
without encryption. Here:

- every request must carry the search's token (metadata
  `authorization: bearer TOKEN`, compared in constant time) or it is
  refused with `UNAUTHENTICATED` before the oracle sees it;
- every request also names its worker (metadata `seqlab-worker`), and the
  chief's oracle checks it against the trial it concerns
  (`tuning.chief`);
- with a certificate and key the chief serves TLS only, and a worker
  given that certificate verifies the chief with it.

The token proves a client belongs to the search; it does not make a
worker honest: a worker with the token can report any score for a trial
it holds. Run workers you trust, on a private network.

keras-tuner keeps its gRPC service and messages in `keras_tuner.src`
(there is no public module for them; keras-tuner imports them the same
way when it starts a chief): they are imported here and nowhere else.
"""

import collections
import hmac
import sys
import time
from concurrent import futures

import grpc
from keras_tuner.engine import hyperparameters as hp_module
from keras_tuner.engine import trial as trial_module
from keras_tuner.src import protos
from keras_tuner.src.distribute import oracle_chief

from keras_seqlab.experiments.settings import SettingsError
from keras_seqlab.tuning.chief import Refused

TOKEN_KEY = "authorization"
WORKER_KEY = "seqlab-worker"
# Seconds between the chief's checks of whether the search has ended.
POLL_SECONDS = 0.2
# Requests are small (a trial, a space); this bounds what one may cost.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]


def _bearer(token):
    return f"bearer {token}"


class _TokenCheck(grpc.ServerInterceptor):
    """Refuses every call without the search's token."""

    def __init__(self, token, log):
        self._expected = _bearer(token).encode("utf-8")
        self._log = log
        self.refused = 0
        self._refuse = grpc.unary_unary_rpc_method_handler(self._abort)

    def _abort(self, request, context):
        context.abort(
            grpc.StatusCode.UNAUTHENTICATED,
            "seqlab tune (chief): wrong or missing token",
        )

    def intercept_service(self, continuation, details):
        given = dict(details.invocation_metadata or ()).get(TOKEN_KEY, "")
        if hmac.compare_digest(str(given).encode("utf-8"), self._expected):
            return continuation(details)
        self.refused += 1
        if self.refused == 1 or self.refused % 100 == 0:
            self._log(
                f"refused a request without the search's token "
                f"({self.refused} so far)"
            )
        return self._refuse


class _Servicer(oracle_chief.OracleServicer):
    """keras-tuner's servicer with every call sent through `oracle.handle`."""

    def __init__(self, oracle):
        super().__init__(oracle)
        self.failure = None

    def _handle(self, context, request, *args):
        worker = dict(context.invocation_metadata()).get(WORKER_KEY, "")
        result, error = self.oracle.handle(worker, request, *args)
        if error is None:
            return result
        if isinstance(error, Refused):
            context.abort(getattr(grpc.StatusCode, error.code), str(error))
        if isinstance(error, OSError):
            # The chief cannot write its folder: the search stops (resumable).
            self.failure = error
        context.abort(
            grpc.StatusCode.INTERNAL,
            f"seqlab tune (chief): {type(error).__name__}: {error}",
        )

    def GetSpace(self, request, context):
        hps = self._handle(context, "get_space")
        return protos.get_service().GetSpaceResponse(
            hyperparameters=hps.to_proto()
        )

    def UpdateSpace(self, request, context):
        hps = hp_module.HyperParameters.from_proto(request.hyperparameters)
        self._handle(context, "update_space", hps)
        return protos.get_service().UpdateSpaceResponse()

    def CreateTrial(self, request, context):
        trial = self._handle(context, "create_trial", request.tuner_id)
        if trial.status == trial_module.TrialStatus.STOPPED:
            self.stop_triggered = True
        return protos.get_service().CreateTrialResponse(trial=trial.to_proto())

    def UpdateTrial(self, request, context):
        trial = self._handle(
            context,
            "update_trial",
            request.trial_id,
            dict(request.metrics),
            request.step,
        )
        return protos.get_service().UpdateTrialResponse(trial=trial.to_proto())

    def EndTrial(self, request, context):
        try:
            trial = trial_module.Trial.from_proto(request.trial)
        except Exception as error:  # noqa: BLE001 - a malformed trial
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        self._handle(context, "end_trial", trial)
        return protos.get_service().EndTrialResponse()

    def GetTrial(self, request, context):
        trial = self._handle(context, "get_trial", request.trial_id)
        return protos.get_service().GetTrialResponse(trial=trial.to_proto())

    def GetBestTrials(self, request, context):
        trials = self._handle(context, "get_best_trials", request.num_trials)
        return protos.get_service().GetBestTrialsResponse(
            trials=[trial.to_proto() for trial in trials]
        )


def serve(oracle, distributed, failures=(), say=None):
    """Serves `oracle` (a `tuning.chief` oracle) until the search ends.

    Args:
        oracle: the chief's oracle (`chief.enable_leases` applied).
        distributed: `tuning.distributed.role(...)` of the chief.
        failures: objects whose `failure` attribute, once set, stops the
            chief (the lease `Reaper`).
        say: prints one line of progress.

    Raises:
        SettingsError: the address cannot be listened on.
        OSError: the chief could not write its folder.
    """
    say = say or (lambda message: print(message, file=sys.stderr))
    log = lambda message: say(f"seqlab tune (chief): {message}")  # noqa: E731
    address = f"{distributed['ip']}:{distributed['port']}"
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        interceptors=[_TokenCheck(distributed["token"], log)],
        # gRPC shares a port between servers by default (SO_REUSEPORT):
        # a second chief, or another program, would take half the calls.
        options=[*_OPTIONS, ("grpc.so_reuseport", 0)],
    )
    servicer = _Servicer(oracle)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        if distributed.get("certificate"):
            credentials = grpc.ssl_server_credentials(
                [(distributed["key"], distributed["certificate"])]
            )
            port = server.add_secure_port(address, credentials)
        else:
            port = server.add_insecure_port(address)
    except RuntimeError:
        port = 0
    if not port:
        raise SettingsError(
            f"cannot listen on `oracle` {address}: the port is in use or the "
            "host is not an address of this machine.",
            "oracle",
        )
    server.start()
    try:
        while not (servicer.stop_triggered and oracle.finished()):
            for source in (servicer, *failures):
                if source.failure is not None:
                    raise source.failure
            time.sleep(POLL_SECONDS)
    finally:
        server.stop(grace=1).wait()


class _Details(
    collections.namedtuple(
        "_Details",
        (
            "method",
            "timeout",
            "metadata",
            "credentials",
            "wait_for_ready",
            "compression",
        ),
    ),
    grpc.ClientCallDetails,
):
    pass


class _Credentials(grpc.UnaryUnaryClientInterceptor):
    """Adds the token and the worker's ID to every call."""

    def __init__(self, token, worker):
        self._metadata = ((TOKEN_KEY, _bearer(token)), (WORKER_KEY, worker))

    def intercept_unary_unary(self, continuation, details, request):
        details = _Details(
            details.method,
            details.timeout,
            tuple(details.metadata or ()) + self._metadata,
            details.credentials,
            details.wait_for_ready,
            details.compression,
        )
        return continuation(details, request)


def channel(distributed):
    """A channel to the chief that sends the token and the worker's ID."""
    address = f"{distributed['ip']}:{distributed['port']}"
    if distributed.get("certificate"):
        credentials = grpc.ssl_channel_credentials(
            root_certificates=distributed["certificate"]
        )
        base = grpc.secure_channel(address, credentials, options=_OPTIONS)
    else:
        base = grpc.insecure_channel(address, options=_OPTIONS)
    return grpc.intercept_channel(
        base, _Credentials(distributed["token"], distributed["tuner_id"])
    )


def connect(client, distributed):
    """Points keras-tuner's `OracleClient` of a worker at `channel(...)`."""
    # keras-tuner builds the client with a bare channel; its stub class is
    # reused (it takes a channel) rather than imported from keras_tuner.src.
    client.stub = type(client.stub)(channel(distributed))
    return client


def refusal(error):
    """`(status name, message)` of a gRPC error, or None for another error."""
    if not isinstance(error, grpc.RpcError):
        return None
    code = error.code() if callable(getattr(error, "code", None)) else None
    details = (
        error.details() if callable(getattr(error, "details", None)) else ""
    )
    return getattr(code, "name", "UNKNOWN"), details or str(code)
