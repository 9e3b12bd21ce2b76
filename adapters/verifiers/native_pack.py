"""QuoteChecks flattened into one ``ef_batch``: contiguous buffers plus per-quote length arrays.

Python cost per quote is what limits the native verifier on cheap checks, so the common case is a few
attribute reads, list appends and C-level joins; only inputs that are odd (wrong types, PCR indexes out
of range, values of the wrong size) take the slower careful path. Anything that cannot be passed at
all is flagged ``EF_Q_MALFORMED`` and the C side reports it as ``malformed``, never an exception.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from itertools import chain
from operator import attrgetter, itemgetter

from native._edgefleet_native import ffi, lib

from adapters.verifiers.native_keys import NativeKeyCache
from domain.attestation.evidence import HashAlg, KeyType

BANKS = {int(alg): (alg.digest_size, int(alg)) for alg in HashAlg}  # hash_alg -> (value size, TPM_ALG_ID)
NO_MATCH = 0xFFFF  # a scheme/hash no signature carries: the reference's "==" can never hold
BYTES_LIKE = (bytes, bytearray, memoryview)


class Unpassable(Exception):
    """This quote's inputs cannot be laid out for C: it is malformed."""


class PackedBatch:
    """The C batch and everything its pointers point into (kept alive here), plus output arrays."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.batch = ffi.new("ef_batch *")
        self.keep: list[object] = []
        self.policy_extra: dict[int, tuple[int, ...]] = {}  # quote -> policy PCRs that mismatch regardless
        self.status = ffi.new("uint8_t[]", count)
        self.mismatch = ffi.new("uint32_t[]", count)
        self.clock = ffi.new("uint64_t[]", count)
        self.reset_count = ffi.new("uint32_t[]", count)
        self.restart_count = ffi.new("uint32_t[]", count)
        self.safe = ffi.new("uint8_t[]", count)
        self.firmware = ffi.new("uint64_t[]", count)
        self.out = ffi.new(
            "ef_results *",
            {
                "status": self.status,
                "mismatch": self.mismatch,
                "clock": self.clock,
                "reset_count": self.reset_count,
                "restart_count": self.restart_count,
                "safe": self.safe,
                "firmware": self.firmware,
            },
        )

    @property
    def part(self) -> tuple:
        """(ef_batch *, ef_results *), what the verifier's C calls take."""
        return self.batch, self.out

    def buffer(self, data, ctype: str = "uint8_t[]") -> object:
        """A C view of ``data`` (no copy) that lives as long as this batch."""
        view = ffi.from_buffer(ctype, data)
        self.keep.append((data, view))
        return view


class _KeyTable:
    """The batch's key table: one slot per distinct AttestationKey, found by identity first."""

    def __init__(self, cache: NativeKeyCache) -> None:
        self.cache = cache
        self.handles: list[object] = []
        self.schemes = array("H")
        self.hashes = array("H")
        self.by_id: dict[int, int] = {}
        self.by_value: dict[tuple, int] = {}
        self.alive: list[object] = []

    def slot(self, key) -> int:
        slot = self.by_id.get(id(key))
        if slot is None:
            slot = self.by_id[id(key)] = self._resolve(key)
            self.alive.append(key)  # an id is only unique while its object lives: keep it for the batch
        return slot

    def _resolve(self, key) -> int:
        spki, key_type, scheme, hash_alg = key_fields(key)
        value = (spki, key_type == KeyType.RSA, scheme, hash_alg)
        slot = self.by_value.get(value)
        if slot is None:
            slot = self.by_value[value] = len(self.handles)
            self.handles.append(self.cache.handle(spki, key_type))
            self.schemes.append(scheme)
            self.hashes.append(hash_alg)
        return slot


def key_fields(key) -> tuple[bytes, KeyType, int, int]:
    """(SPKI, key type, fixed scheme or 0, hash) of an AttestationKey as the key table holds them."""
    try:
        spki, key_type, scheme, hash_alg = key.spki_der, key.key_type, key.scheme, key.hash_alg
        spki = spki if type(spki) is bytes else bytes(spki)
    except (AttributeError, TypeError):
        raise Unpassable from None
    return spki, key_type, _u16(scheme, none=0), _u16(hash_alg, none=NO_MATCH)


def _u16(value, *, none: int) -> int:
    if value is None:
        return none
    if isinstance(value, int) and 0 < value <= 0xFFFF:
        return int(value)
    return NO_MATCH


def _reported(pcrs: Mapping, size: int) -> tuple[bytes, bytes, bool]:
    """Careful path for reported PCRs: (indexes, values, some index outside 0..31)."""
    try:
        items = list(pcrs.items())
    except AttributeError:
        raise Unpassable from None
    if any(not isinstance(i, int) or not isinstance(v, BYTES_LIKE) or len(v) != size for i, v in items):
        raise Unpassable  # a value of the wrong size is malformed evidence (evidence.py)
    kept = [(i, v) for i, v in items if 0 <= i < 32]
    return bytes(i for i, _ in kept), b"".join(v for _, v in kept), len(kept) != len(items)


def _policy(policy: Mapping, size: int) -> tuple[bytes, bytes, tuple[int, ...]]:
    """Careful path for a policy: entries C cannot take (index out of 0..31, a value that is not
    ``size`` bytes) can never equal a reported value, so they are returned as forced mismatches."""
    try:
        items = list(policy.items())
    except AttributeError:
        raise Unpassable from None
    if any(not isinstance(i, int) for i, _ in items):
        raise Unpassable
    kept = [(i, v) for i, v in items if 0 <= i < 32 and isinstance(v, BYTES_LIKE) and len(v) == size]
    forced = tuple(
        sorted(i for i, v in items if not (0 <= i < 32 and isinstance(v, BYTES_LIKE) and len(v) == size))
    )
    return bytes(i for i, _ in kept), b"".join(v for _, v in kept), forced


def _blob(value) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, BYTES_LIKE):
        return bytes(value)
    raise Unpassable


class PackTables:
    """Keys and policies converted for C once per verification call, however many rounds it packs: a
    fleet's devices recur in every round, and converting a device's key and policy costs more than
    laying out one of its quotes."""

    def __init__(self, cache: NativeKeyCache) -> None:
        self.keys = _KeyTable(cache)
        self.policies = _PolicyTable()


def pack(checks: Sequence, cache: NativeKeyCache, tables: PackTables | None = None) -> PackedBatch:
    packed = PackedBatch(len(checks))
    tables = tables or PackTables(cache)
    keys, policies = tables.keys, tables.policies
    columns = _plain_columns(checks, keys, policies)
    if columns is None:
        columns = _careful_columns(checks, keys, policies, packed)
    _fill(packed, keys, *columns)
    return packed


_evidence, _key, _nonce, _policy_of = (attrgetter(name) for name in ("evidence", "key", "nonce", "policy"))
_quote, _sig, _pcrs, _alg = (attrgetter(name) for name in ("quote", "signature", "pcr_values", "hash_alg"))


def _plain_columns(checks: Sequence, keys: _KeyTable, policies: _PolicyTable) -> tuple | None:
    """The columns of a batch whose every input is plain (bytes, dicts of bytes of the bank's size, one
    bank, policies C takes whole): the common case, laid out column by column with C-level map and join,
    about a microsecond a quote. None when anything is odd; the careful per-quote path then decides."""
    try:
        evidence = list(map(_evidence, checks))
        banks = set(map(_alg, evidence))
        if len(banks) > 1:
            return None
        size, bank = BANKS[banks.pop()] if banks else (0, 0)
        quotes, sigs, nonces = (
            list(map(_quote, evidence)),
            list(map(_sig, evidence)),
            list(map(_nonce, checks)),
        )
        pcrs = list(map(_pcrs, evidence))
        if not (
            {*map(type, quotes), *map(type, sigs), *map(type, nonces)} <= {bytes}
            and set(map(type, pcrs)) <= {dict}
        ):
            return None
        # views made and dropped one at a time: a kept list of 10,000 would wake the cyclic GC
        if not set(map(len, chain.from_iterable(map(dict.values, pcrs)))) <= {size}:
            return None
        pcr_idx = list(map(bytes, pcrs))  # int keys 0..255 or it raises; C flags 32..255 itself
        pcr_val = list(map(b"".join, map(dict.values, pcrs)))  # bytes-like values or it raises
        # a memoryview's len counts items, not bytes: only the joined lengths prove every value's size
        if list(map(len, pcr_val)) != list(map(size.__mul__, map(len, pcr_idx))):
            return None
        slots = _by_identity(list(map(_key, checks)), keys.by_id, keys.slot)
        flats = _by_identity(
            list(map(_policy_of, checks)),
            policies.by_id,
            lambda policy: _NO_POLICY if policy is None else policies.get(policy, size),
        )
        # size 0 is _NO_POLICY's alone: a flattened policy always carries its bank's value size
        if not set(map(itemgetter(0), flats)) <= {size, 0} or any(map(itemgetter(3), flats)):
            return None  # flattened for another bank, or entries C cannot take: the careful path sorts it out
        pol_idx, pol_val = list(map(itemgetter(1), flats)), list(map(itemgetter(2), flats))
    except (Unpassable, AttributeError, KeyError, TypeError, ValueError):
        return None
    flags = bytearray(len(checks))
    return (
        flags,
        array("H", [bank]) * len(checks),
        slots,
        quotes,
        sigs,
        nonces,
        pcr_idx,
        pcr_val,
        pol_idx,
        pol_val,
    )


_NO_POLICY = (0, b"", b"", ())


def _by_identity(objects: list, known: dict, convert) -> list:
    """The table entry of each object, found by identity: keys and policies are shared by many quotes
    and recur in every round, so only objects the table has not seen yet are converted (``convert``
    enters them in ``known`` and keeps them alive: an id is only unique while its object lives)."""
    ids = list(map(id, objects))
    missing = set(ids).difference(known)
    if missing:  # in order of first appearance, so slots are numbered the same whichever path lays out
        for key, obj in dict(zip(ids, objects)).items():
            if key in missing:
                known[key] = convert(obj)
    return list(map(known.__getitem__, ids))


def _careful_columns(checks: Sequence, keys: _KeyTable, policies: _PolicyTable, packed: PackedBatch) -> tuple:
    """Quote by quote: odd inputs take the careful helpers, and what cannot be passed is flagged malformed."""
    quotes, sigs, nonces, banks, slots = [], [], [], [], []
    pcr_idx, pcr_val, pol_idx, pol_val = [], [], [], []
    flags = bytearray(len(checks))
    for i, check in enumerate(checks):
        try:
            evidence = check.evidence
            size, bank = BANKS[evidence.hash_alg]
            quote, sig, nonce = evidence.quote, evidence.signature, check.nonce
            if not (type(quote) is bytes and type(sig) is bytes and type(nonce) is bytes):
                quote, sig, nonce = _blob(quote), _blob(sig), _blob(nonce)
            slot = keys.slot(check.key)
            pcrs = evidence.pcr_values
            try:  # fast path: bytes() takes int keys 0..255 (C flags 32..255), the lengths prove each value
                idx, values = bytes(pcrs), pcrs.values()
                val = b"".join(values)
                if len(val) != len(idx) * size or (idx and max(map(len, values)) != size):
                    raise ValueError
            except (TypeError, ValueError):
                idx, val, extra = _reported(pcrs, size)
                flags[i] = lib.EF_Q_EXTRA_PCRS if extra else 0
            policy = check.policy
            if policy is None:
                pidx = pval = b""
            else:
                _, pidx, pval, forced = policies.get(policy, size)
                if forced:
                    flags[i] |= lib.EF_Q_POLICY_EXTRA
                    packed.policy_extra[i] = forced
        except (Unpassable, AttributeError, KeyError, TypeError, ValueError):
            flags[i] = lib.EF_Q_MALFORMED
            packed.policy_extra.pop(i, None)
            quote = sig = nonce = idx = val = pidx = pval = b""
            bank, slot = 0, 0
        quotes.append(quote)
        sigs.append(sig)
        nonces.append(nonce)
        banks.append(bank)
        slots.append(slot)
        pcr_idx.append(idx)
        pcr_val.append(val)
        pol_idx.append(pidx)
        pol_val.append(pval)
    return flags, banks, slots, quotes, sigs, nonces, pcr_idx, pcr_val, pol_idx, pol_val


class _PolicyTable:
    """Reference policies flattened once per policy object of the batch: devices of one scope share it."""

    def __init__(self) -> None:
        # id(policy) -> (value size, indexes, values, forced mismatches)
        self.by_id: dict[int, tuple[int, bytes, bytes, tuple[int, ...]]] = {}
        self.alive: list[object] = []  # an id is only unique while its object lives

    def get(self, policy: Mapping, size: int) -> tuple[int, bytes, bytes, tuple[int, ...]]:
        flat = self.by_id.get(id(policy))
        return flat if flat is not None and flat[0] == size else self._flatten(policy, size)

    def _flatten(self, policy: Mapping, size: int) -> tuple[int, bytes, bytes, tuple[int, ...]]:
        try:
            pidx, pvalues = bytes(policy), policy.values()
            pval = b"".join(pvalues)
            if len(pval) != len(pidx) * size or (
                pidx and (max(map(len, pvalues)) != size or max(pidx) >= 32)
            ):
                raise ValueError  # PCRs >= 32 are never quoted: the careful path lists them
            flat: tuple[int, bytes, bytes, tuple[int, ...]] = size, pidx, pval, ()
        except (TypeError, ValueError):
            flat = size, *_policy(policy, size)
        self.by_id[id(policy)] = flat
        self.alive.append(policy)
        return flat


_FIELDS = (
    ("quote", "quote_len"),
    ("sig", "sig_len"),
    ("nonce", "nonce_len"),
    ("pcr_index", "pcr_count"),
    ("pcr_value", "pcr_value_len"),
    ("policy_index", "policy_count"),
    ("policy_value", "policy_value_len"),
)


def _fill(packed: PackedBatch, keys: _KeyTable, flags, banks, slots, *columns) -> None:
    b = packed.batch
    b.count = packed.count
    for (field, length), column in zip(_FIELDS, columns, strict=True):
        joined = b"".join(column)
        setattr(b, field, packed.buffer(joined))
        setattr(b, field + "_size", len(joined))
        # array("I") refuses a length past 4 GiB: such a batch fails whole with OverflowError
        setattr(b, length, packed.buffer(array("I", map(len, column)), "uint32_t[]"))
    b.bank = packed.buffer(array("H", banks), "uint16_t[]")
    b.flags = packed.buffer(flags)
    b.key_index = packed.buffer(array("I", slots), "uint32_t[]")
    if not keys.handles:  # digest-only and all-malformed batches still index slot 0
        keys.handles.append(ffi.NULL)
        keys.schemes.append(0)
        keys.hashes.append(NO_MATCH)
    handles = ffi.new("ef_key *[]", keys.handles)
    packed.keep.append((list(keys.handles), handles))  # the handles stay referenced: no free under a call
    b.keys = handles
    # copies: the table grows while this round runs (a buffer view would also pin the array's size)
    b.key_scheme = packed.buffer(array("H", keys.schemes), "uint16_t[]")
    b.key_hash = packed.buffer(array("H", keys.hashes), "uint16_t[]")
    b.key_count = len(keys.handles)
