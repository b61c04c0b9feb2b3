"""``FakeHasher``: a ``ports.PasswordHasher`` without the cost of argon2; ``QuickArgon2Hasher``:
the real one at argon2's lowest cost."""

from __future__ import annotations

from argon2 import PasswordHasher as _Argon2

from fenpei.adapters.passwords import Argon2Hasher


class FakeHasher:
    """``ports.PasswordHasher`` without the cost of argon2; counts hashes for timing tests."""

    def __init__(self) -> None:
        self.hash_calls = 0

    def hash(self, password: str) -> str:
        self.hash_calls += 1
        return "fake-hash$" + password[::-1]

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "fake-hash$" + password[::-1]


class QuickArgon2Hasher(Argon2Hasher):
    """The real ``Argon2Hasher`` (argon2id, its own hash and verify) at the lowest cost argon2
    allows: one pass over 8 KiB instead of three over 64 MiB (~0.3 s a hash on the 2-core
    test machine, paid at every user made and every login). For tests of the app that log in
    but do not test the cost; production keeps argon2-cffi's defaults."""

    def __init__(self) -> None:
        super().__init__()
        # A renamed attribute would leave the expensive one in place: fail instead.
        assert isinstance(self._argon2, _Argon2), "Argon2Hasher changed: update QuickArgon2Hasher"
        self._argon2 = _Argon2(time_cost=1, memory_cost=8, parallelism=1)
