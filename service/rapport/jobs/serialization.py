"""msgpack (through msgspec) for arq's jobs and results, on the pool and on the worker.

arq pickles by default, and a pickle executes code when it is loaded: whoever can write to the
queue's Redis could run anything in a worker. msgpack only ever decodes to plain data (maps,
arrays, strings, numbers, bytes, timestamps), so a planted payload is at worst rejected.

Anything else that reaches the deserializer (a pickle, garbage, a msgpack value that is not a
job map) raises, and arq then records the job as failed without calling any function.
Exceptions in a failed job's result are stored as their text (type and message).
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["PayloadError", "job_deserializer", "job_serializer"]


class PayloadError(ValueError):
    """Bytes from the queue that are not a msgpack map: never executed."""


def _enc_hook(obj: Any) -> Any:
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    raise NotImplementedError(f"cannot serialise {type(obj).__name__} in a job")


def _ext_hook(code: int, data: memoryview) -> Any:
    # msgspec decodes the standard timestamp extension itself; any other extension type is
    # something no Rapport process wrote.
    raise PayloadError(f"unexpected msgpack extension type {code}")


_encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)
_decoder = msgspec.msgpack.Decoder(dict[str, Any], ext_hook=_ext_hook)


def job_serializer(value: Any) -> bytes:
    """arq's `job_serializer`: msgpack bytes of a job or result map."""
    return _encoder.encode(value)


def job_deserializer(data: bytes) -> dict[str, Any]:
    """arq's `job_deserializer`: a job or result map, or `PayloadError` for anything else
    (a pickle, truncated bytes, a msgpack value that is not a map)."""
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise PayloadError(f"not a msgpack job: {exc}") from None
