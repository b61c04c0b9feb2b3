"""``FakeHasher``: a ``ports.PasswordHasher`` without the cost of argon2."""

from __future__ import annotations


class FakeHasher:
    """``ports.PasswordHasher`` without the cost of argon2; counts hashes for timing tests."""

    def __init__(self) -> None:
        self.hash_calls = 0

    def hash(self, password: str) -> str:
        self.hash_calls += 1
        return "fake-hash$" + password[::-1]

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == "fake-hash$" + password[::-1]
