"""Credentials from environment variables, and the redaction that keeps them out of every
message, log line, URL and saved page."""

from __future__ import annotations

import re
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dlt.sources.helpers.rest_client.auth import APIKeyAuth, BearerTokenAuth, HttpBasicAuth
from requests.auth import AuthBase

_SECRET_PARAMS = re.compile(
    r"(?i)([?&](?:access_token|private_token|token|api_key|apikey|key|sig)=)[^&#\s]+"
)
_USERINFO = re.compile(r"(?i)(https?://)[^/@\s]+@")


@dataclass
class Redactor:
    """Replaces every known secret (and URL credentials) in a text with `***`."""

    secrets: set[str] = field(default_factory=set)

    def add(self, *values: str | None) -> None:
        for value in values:
            if value and len(value) >= 4:
                self.secrets.add(value)

    def __call__(self, text: Any) -> str:
        """For messages and URLs: known secrets, URL credentials and token-like parameters."""
        out = self.known(str(text))
        out = _USERINFO.sub(r"\1***@", out)
        return _SECRET_PARAMS.sub(r"\1***", out)

    def known(self, text: str) -> str:
        """For data (pages written to disk): only the secrets themselves, nothing else moves."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


@dataclass(frozen=True)
class Credentials:
    """What a source authenticates with (a dlt auth object), read from the environment
    variables its config names. `missing` lists the variables that were not set (pull
    anonymously, say so on 401); `secrets` every form of the token that must never be shown."""

    auth: AuthBase | None
    env_vars: tuple[str, ...]
    missing: tuple[str, ...]
    secrets: tuple[str, ...] = ()


def credentials(
    scheme: str, env: Mapping[str, str], token_env: str, user_env: str | None = None
) -> Credentials:
    """The auth of `scheme` with the token from `env[token_env]` (never from config)."""
    token = env.get(token_env) or ""
    user = (env.get(user_env) or "") if user_env else ""
    env_vars = tuple(v for v in (token_env, user_env) if v)
    missing = tuple(v for v in env_vars if not env.get(v))
    auth: AuthBase | None = None
    header = ""
    if token:
        if scheme == "bearer":
            auth, header = BearerTokenAuth(token=token), f"Bearer {token}"
        elif scheme == "private-token":
            auth, header = APIKeyAuth(name="PRIVATE-TOKEN", api_key=token), token
        elif scheme == "pagerduty":
            header = f"Token token={token}"
            auth = APIKeyAuth(name="Authorization", api_key=header)
        elif scheme == "genie":
            header = f"GenieKey {token}"
            auth = APIKeyAuth(name="Authorization", api_key=header)
        elif scheme == "basic":
            auth = HttpBasicAuth(username=user, password=token)
            header = f"Basic {b64encode(f'{user}:{token}'.encode()).decode()}"
        else:
            raise ValueError(f"unknown auth scheme {scheme!r}")
    secrets = (token, header, header.split(" ", 1)[-1]) if token else ()
    return Credentials(auth, env_vars, missing, secrets)
