"""A pickle reader for untrusted files that can only rebuild NumPy arrays.

Unpickling runs whatever callable a pickle names, so a plain ``pickle.load`` on a
downloaded file can run ``os.system``. :class:`ArrayUnpickler` resolves only the
globals NumPy arrays need (plus tuples, lists, numbers and strings, which need none)
and raises :class:`pickle.UnpicklingError` naming any other global *before* anything
is called.

Only arrays of plain dtypes (numbers, strings, objects) load; structured and subarray
dtypes are refused, because numpy's ``dtype.__setstate__`` trusts its input.

Bytes that are not a well-formed array pickle (truncated, corrupt, hostile) raise
:class:`pickle.UnpicklingError` too, whatever the pickle machinery tripped on. Memory is
bounded by the input: the arrays built may hold at most the bytes read plus
:data:`SLACK_BYTES`, so a pickle that declares a huge shape, or copies one buffer into
many arrays, is refused instead of allocated. (An object array counts its 8-byte pointers,
so one of more than about 170,000 small items, which take 2 bytes each in the pickle, is
refused too; NumPy pickles of numbers are unaffected.)
"""

from __future__ import annotations

import importlib
import io
import math
import operator
import pickle
import struct
from typing import IO, Any

import numpy as np

SLACK_BYTES = 1 << 20


def _numpy_reconstruct():
    # numpy>=2 moved numpy.core to numpy._core; importing numpy.core warns there.
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(module)._reconstruct
        except (ImportError, AttributeError):
            continue
    raise ImportError("cannot find numpy's multiarray._reconstruct")


def _fresh_dtype(spec: Any, align: Any = False, copy: Any = False) -> np.dtype:
    """``numpy.dtype(spec, align)``, always a new object: ``np.dtype("f4")`` is numpy's shared
    float32 descriptor, which a later BUILD of this pickle must not be able to alter."""
    return np.dtype(spec, align=bool(align), copy=True)


class _CountingReader:
    """The file's ``read``/``readline``, counting the bytes handed out (the memory budget)."""

    def __init__(self, file: IO[bytes]):
        self.file = file
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.count += len(data)
        return data

    def readline(self) -> bytes:
        data = self.file.readline()
        self.count += len(data)
        return data


def _check_dtype_state(dtype: np.dtype, state: Any) -> None:
    """Refuse a dtype state unless it is exactly the one numpy writes for ``dtype`` in some
    byte order: ``dtype.__setstate__`` trusts its input, and inconsistent fields or flags
    make numpy read out of bounds (a segfault found by ``fuzz/fuzz_safe_pickle.py``).
    Structured and subarray dtypes are therefore refused (arrays of plain numbers, strings
    and objects load)."""
    byteorder = state[1] if isinstance(state, tuple) and len(state) > 1 else None
    if byteorder not in ("<", ">", "=", "|"):
        raise pickle.UnpicklingError(f"dtype state {state!r:.80}: expected numpy's (version, byte order, ...) tuple")
    expected = dtype.newbyteorder(byteorder).__reduce__()[2]
    if state != expected:
        raise pickle.UnpicklingError(
            f"dtype state {state!r:.120} for {dtype}: expected {expected!r} (this reader loads arrays of plain "
            "dtypes; structured or subarray dtypes and altered flags are refused)"
        )


def _check_array_state(state: Any) -> None:
    """Refuse an object array's state whose item list does not fill its shape: numpy's
    ``ndarray.__setstate__`` leaves the missing slots as invalid pointers, and reading them
    segfaults (found by ``fuzz/fuzz_safe_pickle.py``). numpy itself checks the buffer size
    of every other dtype."""
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise pickle.UnpicklingError(f"array state {state!r:.80}: expected numpy's (version, shape, dtype, fortran, data)")
    shape, dtype, data = state[-4], state[-3], state[-1]
    if isinstance(dtype, np.dtype) and dtype.hasobject:
        try:
            size = math.prod(operator.index(n) for n in shape)
        except TypeError:
            raise pickle.UnpicklingError(f"array state with shape {shape!r:.60}: expected a tuple of integers") from None
        if not isinstance(data, list) or len(data) != size:
            count = len(data) if isinstance(data, list) else type(data).__name__
            raise pickle.UnpicklingError(f"object array of shape {shape} needs {size} items, the pickle gives {count}")


class ArrayUnpickler(pickle._Unpickler):
    """Unpickler admitting only ``multiarray._reconstruct``, ``numpy.ndarray`` and
    ``numpy.dtype`` as globals, calling only ``_reconstruct`` and ``numpy.dtype`` (as new objects), and
    building only arrays within the memory budget.

    The pure-Python unpickler is used because its opcodes can be checked one by one; an
    array pickle has a handful of opcodes, so the speed is the same as the C one's.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: IO[bytes], encoding: str = "latin1"):
        self._reader = _CountingReader(file)
        super().__init__(self._reader, encoding=encoding)
        self._allocated = 0
        reconstruct = self._reconstruct  # one bound method, so `is` recognises it when called
        self._globals = {
            ("numpy.core.multiarray", "_reconstruct"): reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): reconstruct,
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): _fresh_dtype,
        }
        self._callables = (reconstruct, _fresh_dtype)

    def find_class(self, module: str, name: str) -> Any:
        found = self._globals.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refused global {module}.{name}: this reader only rebuilds NumPy arrays "
                "(the file is not a plain array pickle, or it is malicious)"
            )
        return found

    # ------------------------------------------------------------------ the budget

    def _charge(self, nbytes: int) -> None:
        self._allocated += nbytes
        budget = self._reader.count + SLACK_BYTES
        if self._allocated > budget:
            raise pickle.UnpicklingError(
                f"the pickle asks for {self._allocated:,} bytes of arrays after reading {self._reader.count:,} "
                f"bytes (at most {budget:,} allowed): a declared size larger than its data, or one buffer copied "
                "into many arrays"
            )

    def _reconstruct(self, subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
        """numpy's ``_reconstruct`` (an empty array that BUILD then fills), size checked first."""
        if subtype is not np.ndarray:
            raise pickle.UnpicklingError(f"_reconstruct of {subtype!r}: expected numpy.ndarray")
        try:
            dims = (operator.index(shape),) if not isinstance(shape, tuple) else tuple(map(operator.index, shape))
            itemsize = np.dtype(dtype).itemsize
        except (TypeError, ValueError) as error:
            raise pickle.UnpicklingError(f"_reconstruct with shape {shape!r}, dtype {dtype!r}: {error}") from None
        self._charge(max(math.prod(dims), 0) * itemsize)
        return _numpy_reconstruct()(subtype, dims, dtype)

    def _check_callable(self, func: Any, opcode: str) -> None:
        if not any(func is allowed for allowed in self._callables):
            raise pickle.UnpicklingError(
                f"{opcode} calls {getattr(func, '__name__', type(func).__name__)}: this reader only calls "
                "_reconstruct and numpy.dtype (numpy never pickles arrays any other way)"
            )

    # ------------------------------------------------------------------ checked opcodes

    def load_reduce(self) -> None:
        self._check_callable(self.stack[-2] if len(self.stack) >= 2 else None, "REDUCE")
        super().load_reduce()

    def load_newobj(self) -> None:
        self._check_callable(self.stack[-2] if len(self.stack) >= 2 else None, "NEWOBJ")
        super().load_newobj()

    def load_newobj_ex(self) -> None:
        self._check_callable(self.stack[-3] if len(self.stack) >= 3 else None, "NEWOBJ_EX")
        super().load_newobj_ex()

    def _instantiate(self, klass: Any, args: list) -> None:  # INST and OBJ
        self._check_callable(klass, "INST/OBJ")
        super()._instantiate(klass, args)

    def load_build(self) -> None:
        inst = self.stack[-2] if len(self.stack) >= 2 else None
        if not isinstance(inst, (np.ndarray, np.dtype)):
            raise pickle.UnpicklingError(f"BUILD on {type(inst).__name__}: this reader only fills arrays and dtypes")
        if isinstance(inst, np.dtype):
            _check_dtype_state(inst, self.stack[-1])
        else:
            _check_array_state(self.stack[-1])
        super().load_build()
        if isinstance(inst, np.ndarray):
            self._charge(inst.nbytes)

    def load_bytearray8(self) -> None:
        # the stock opcode allocates the declared length before reading it; read, then count
        (size,) = struct.unpack("<Q", self.read(8))
        data = self.read(size)
        if len(data) != size:
            raise pickle.UnpicklingError(f"BYTEARRAY8 declares {size:,} bytes, the pickle has {len(data):,}")
        self.append(bytearray(data))

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8


def load(file: IO[bytes], encoding: str = "latin1") -> Any:
    """Read one pickle from ``file`` with :class:`ArrayUnpickler`.

    ``encoding="latin1"`` reads Python 2 pickles (such as ``mnist.pkl.gz``), whose
    array buffers are byte strings. Raises :class:`pickle.UnpicklingError` for anything
    that is not a well-formed array pickle.
    """
    try:
        return ArrayUnpickler(file, encoding=encoding).load()
    except pickle.UnpicklingError:
        raise
    except OSError:
        raise  # the file itself could not be read (disk, gzip): not a verdict on the pickle
    except Exception as error:  # noqa: BLE001 - any other failure means the bytes are not a valid array pickle
        raise pickle.UnpicklingError(
            f"not a valid array pickle ({type(error).__name__}: {error}); expected a pickle of NumPy arrays, "
            "tuples, lists, numbers and strings"
        ) from error


def loads(data: bytes, encoding: str = "latin1") -> Any:
    """:func:`load` from bytes."""
    return load(io.BytesIO(data), encoding=encoding)
