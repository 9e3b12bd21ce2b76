"""Sign-in for people: a password checked against its argon2id hash buys the same short-lived bearer
token the API accepts. Every attempt is audited; failures are throttled per user name and address."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.access import Role
from domain.audit import AuditRecord
from domain.errors import DomainError
from domain.users import AccountDisabled, InvalidCredentials, LoginThrottle
from ports.audit import AuditLog
from ports.clock import Clock
from ports.users import PasswordHasher, TokenIssuer, UserRepository

LOGIN_PATH = "/api/v1/auth/login"
STATUS_OF = {"UNAUTHORIZED": 401, "FORBIDDEN": 403, "RATE_LIMITED": 429}


@dataclass(frozen=True)
class Session:
    token: str
    subject: str
    role: Role
    expires_at: datetime
    expires_in: int  # seconds


class SignIn:
    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        audit: AuditLog,
        clock: Clock,
        token_ttl: timedelta,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._users, self._hasher, self._tokens, self._audit = users, hasher, tokens, audit
        self._clock, self._ttl = clock, token_ttl
        self._throttle = throttle or LoginThrottle()
        self._decoy = hasher.hash("not-a-password-anyone-has")  # unknown names cost as much as known ones

    async def sign_in(self, name: str, password: str, address: str, request_id: str | None = None) -> Session:
        now = self._clock.now()
        role = "none"
        try:
            self._throttle.check(name, address, now)
            user = await self._users.get(name)
            matches = await asyncio.to_thread(
                self._hasher.verify, user.password_hash if user else self._decoy, password
            )
            if user is None or not matches:
                self._throttle.failed(name, address, now)
                raise InvalidCredentials()
            role = user.role.value
            if user.disabled:
                raise AccountDisabled()
            self._throttle.succeeded(name, address)
            if self._hasher.needs_rehash(user.password_hash):  # the cost parameters were raised since
                user.password_hash, user.updated_at = (
                    await asyncio.to_thread(self._hasher.hash, password),
                    now,
                )
                await self._users.save(user)
            session = Session(
                self._tokens.issue(user.name, user.role, self._ttl, now),
                user.name,
                user.role,
                now + self._ttl,
                int(self._ttl.total_seconds()),
            )
        except DomainError as exc:
            await self._record(now, name, role, STATUS_OF.get(exc.code, 400), address, request_id)
            raise
        await self._record(now, name, role, 200, address, request_id)
        return session

    async def _record(
        self, now: datetime, name: str, role: str, outcome: int, address: str, request_id: str | None
    ) -> None:
        await self._audit.append(
            AuditRecord(
                at=now,
                actor=name[:255],
                role=role,
                action="login",
                method="POST",
                path=LOGIN_PATH,
                outcome=outcome,
                client_address=address,
                request_id=request_id,
            )
        )
