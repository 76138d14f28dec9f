"""The HTTP behaviour every API source shares, written once: auth headers from environment
variables, retries that honour `Retry-After` and `x-ratelimit-reset`, capped exponential backoff
for 5xx and timeouts, pagination (Link, offset, ranges), and tokens kept out of every message.

A plain `requests` client rather than dlt's RESTClient: dlt's retry honours `Retry-After` on 429
and 5xx but not GitHub's 403 + `x-ratelimit-remaining: 0` (wait until `x-ratelimit-reset`), its
waits cannot be injected into tests, and its paginators hide the page (URL, headers, raw text)
that API mode saves in the export layout and names in rejections. Landing stays with dlt.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

log = logging.getLogger(__name__)

_SECRET_PARAMS = re.compile(
    r"(?i)([?&](?:access_token|private_token|token|api_key|apikey|key|sig)=)[^&#\s]+"
)
_USERINFO = re.compile(r"(?i)(https?://)[^/@\s]+@")


# --- secrets ------------------------------------------------------------------------------------


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
    """What a source sends to authenticate, read from the environment variables its config
    names. `missing` lists the variables that were not set (pull anonymously, say so on 401)."""

    headers: dict[str, str]
    env_vars: tuple[str, ...]
    missing: tuple[str, ...]
    secrets: tuple[str, ...] = ()  # every form of the token that must never be shown


def credentials(scheme: str, env: Mapping[str, str], token_env: str, user_env: str | None = None):
    """Auth headers for `scheme` with the token from `env[token_env]` (never from config)."""
    token = env.get(token_env) or ""
    user = env.get(user_env) or "" if user_env else ""
    env_vars = (token_env, user_env) if user_env else (token_env,)
    missing = tuple(v for v in env_vars if v and not env.get(v))
    headers: dict[str, str] = {}
    if token:
        if scheme == "bearer":
            headers["Authorization"] = f"Bearer {token}"
        elif scheme == "private-token":
            headers["PRIVATE-TOKEN"] = token
        elif scheme == "pagerduty":
            headers["Authorization"] = f"Token token={token}"
        elif scheme == "genie":
            headers["Authorization"] = f"GenieKey {token}"
        elif scheme == "basic":
            pair = base64.b64encode(f"{user}:{token}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        else:
            raise ValueError(f"unknown auth scheme {scheme!r}")
    secrets = (token, *headers.values(), *(v.split(" ", 1)[-1] for v in headers.values()))
    return Credentials(headers, tuple(v for v in env_vars if v), missing, secrets)


# --- errors -------------------------------------------------------------------------------------


class ApiError(Exception):
    """A request that did not give a usable answer; the message is already redacted."""

    fatal = False  # True: the whole source stops (bad token, rate limit too long to wait)

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class AuthError(ApiError):
    fatal = True


class ForbiddenError(ApiError):
    """403 that is not a rate limit: the token lacks access to this resource (often one repo
    or one project), so the other streams go on."""


class RateLimitError(ApiError):
    fatal = True


class NotFoundError(ApiError):
    """404 (or GitHub's 409 'Git Repository is empty'): the caller decides what it means."""


class RetriesExhausted(ApiError):
    """5xx, timeouts or broken pages still failing after every retry."""


# --- pages --------------------------------------------------------------------------------------


@dataclass
class Page:
    """One response: the URL it came from (redacted), status, headers, the raw text, and the
    parsed body, or `error` when the body was not JSON even after retries."""

    url: str
    status: int
    headers: Mapping[str, str]
    text: str
    body: Any = None
    error: str | None = None

    @property
    def next_url(self) -> str | None:
        return link_next(self.headers.get("Link") or self.headers.get("link"))


def link_next(header: str | None) -> str | None:
    """The `rel="next"` target of a Link header, verbatim (it may switch form between pages)."""
    if not header:
        return None
    for part in re.finditer(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)", header):
        url, params = part.group(1), part.group(2)
        rels = re.findall(r'rel\s*=\s*"?([^";]+)"?', params)
        if any("next" in r.split() for r in rels):
            return url
    return None


def with_params(url: str, params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> str:
    """`url` with `params` appended (lists repeat the key: `service_ids[]=A&service_ids[]=B`)."""
    if not params:
        return url
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(key, str(v)) for v in values]
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + pairs
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]{},:/")))


# --- the client ---------------------------------------------------------------------------------


@dataclass
class RetryPolicy:
    attempts: int = 6  # tries per request for 5xx, timeouts and malformed bodies
    backoff_seconds: float = 1.0  # first wait; doubles each attempt ...
    backoff_cap_seconds: float = 60.0  # ... up to this
    rate_limit_waits: int = 10  # rate-limit waits per request before giving up
    max_wait_seconds: float = 3900.0  # a reset further away than this fails the source
    timeout: tuple[float, float] = (10.0, 60.0)  # connect, read


class Client:
    """GET with retries and rate-limit waits; `sleep` and `clock` are injectable for tests."""

    def __init__(
        self,
        source: str,
        base_url: str,
        creds: Credentials,
        *,
        redact: Redactor,
        headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.creds = creds
        self.redact = redact
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": "stature-ingest", **(headers or {})})
        self.session.headers.update(creds.headers)
        redact.add(*creds.secrets)
        self.requests = 0
        self.waited = 0.0

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def _wait(self, seconds: float, why: str) -> None:
        seconds = max(0.0, seconds)
        log.info("%s: %s; waiting %.0f s", self.source, why, seconds)
        self.waited += seconds
        self.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        p = self.policy
        return min(p.backoff_cap_seconds, p.backoff_seconds * (2 ** (attempt - 1)))

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds the server asked us to wait, or None if this is not a rate limit."""
        h = response.headers
        retry_after = h.get("Retry-After")
        if retry_after:
            if retry_after.strip().isdigit():
                return float(retry_after.strip())
            when = email.utils.parsedate_to_datetime(retry_after)
            if when is not None:
                return when.timestamp() - self.clock()
        remaining = h.get("x-ratelimit-remaining", h.get("ratelimit-remaining"))
        reset = h.get("x-ratelimit-reset", h.get("ratelimit-reset"))
        if remaining is not None and remaining.strip() == "0" and reset:
            try:
                return float(reset) - self.clock() + 1.0  # reset is epoch seconds
            except ValueError:
                return None
        if response.status_code == 429:
            return -1.0  # rate limited without saying for how long: back off
        return None

    def _check_wait(self, wait: float, waits: int, shown: str, status: int) -> None:
        if wait > self.policy.max_wait_seconds:
            raise RateLimitError(
                f"{self.source}: rate limited on GET {shown}; the server asks to wait "
                f"{wait / 60:.0f} min, longer than the {self.policy.max_wait_seconds / 60:.0f} min "
                "this run waits: run again later",
                url=shown,
                status=status,
            )
        if waits > self.policy.rate_limit_waits:
            raise RateLimitError(
                f"{self.source}: still rate limited on GET {shown} after {waits - 1} waits: "
                "run again later",
                url=shown,
                status=status,
            )

    def _auth_message(self, response: requests.Response, url: str) -> str:
        names = " and ".join(self.creds.env_vars)
        if self.creds.missing:
            fix = f"{' and '.join(self.creds.missing)} is not set: set it to a valid token"
        elif response.status_code == 403:
            fix = f"the token in {names} lacks access to this: give it the scopes it needs"
        else:
            fix = f"the token in {names} was refused: set {names} to a valid, unexpired token"
        said = _message(response.text)
        return (
            f"{self.source}: {response.status_code} {response.reason} for GET {url}"
            f"{f' ({said})' if said else ''}: {fix} (docs/sources.md lists the scopes it needs)"
        )

    def get(self, url: str, params: Any = None, *, allow: Iterable[int] = ()) -> Page:
        """GET `url` (absolute, or relative to base_url) and parse its JSON body.

        Retries 5xx, timeouts and non-JSON bodies with capped exponential backoff; waits out
        rate limits as the server says; raises AuthError on 401 (and 403 that is not a rate
        limit), NotFoundError on 404/409 unless `allow`ed, RetriesExhausted when retries run
        out. A body that is still not JSON after every retry comes back as a Page with `error`.
        """
        full = with_params(self.url(url), params)
        shown = self.redact(full)
        allowed = set(allow)
        attempt = waits = 0
        last_problem = ""
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = self.session.get(full, timeout=self.policy.timeout)
            except (requests.Timeout, requests.ConnectionError) as exc:
                last_problem = f"{type(exc).__name__}"
                if attempt >= self.policy.attempts:
                    raise RetriesExhausted(
                        f"{self.source}: GET {shown} failed {attempt} times ({last_problem})",
                        url=shown,
                    ) from None
                self._wait(self._backoff(attempt), f"{last_problem} on GET {shown}")
                continue

            status = response.status_code
            if status in (403, 429):
                wait = self._rate_limit_wait(response)
                if wait is not None:
                    waits += 1
                    if wait < 0:
                        wait = self._backoff(waits)
                    self._check_wait(wait, waits, shown, status)
                    self._wait(wait, f"{status} rate limit on GET {shown}")
                    attempt -= 1  # a rate-limit wait is not a failed attempt
                    continue
            if status in (401, 403):
                error = AuthError if status == 401 else ForbiddenError
                raise error(
                    self.redact(self._auth_message(response, shown)), url=shown, status=status
                )
            if 500 <= status < 600 and status not in allowed:
                last_problem = f"{status} {response.reason}"
                if attempt >= self.policy.attempts:
                    raise RetriesExhausted(
                        f"{self.source}: GET {shown} failed {attempt} times (last: {last_problem})",
                        url=shown,
                        status=status,
                    )
                asked = (
                    self._rate_limit_wait(response) if "Retry-After" in response.headers else None
                )
                wait = asked if asked is not None and asked >= 0 else self._backoff(attempt)
                self._check_wait(wait, 0, shown, status)
                self._wait(wait, f"{last_problem} on GET {shown}")
                continue
            if status in (404, 409, 410) and status not in allowed:
                raise NotFoundError(
                    f"{self.source}: {status} {response.reason} for GET {shown}: "
                    f"{self.redact(_message(response.text))}",
                    url=shown,
                    status=status,
                )
            if status >= 400 and status not in allowed:
                raise ApiError(
                    f"{self.source}: {status} {response.reason} for GET {shown}: "
                    f"{self.redact(_message(response.text))}",
                    url=shown,
                    status=status,
                )

            text = response.text
            page = Page(shown, status, dict(response.headers), text)
            if status >= 400:
                return page
            try:
                page.body = json.loads(text) if text.strip() else None
            except json.JSONDecodeError as exc:
                last_problem = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                if attempt < self.policy.attempts:
                    self._wait(self._backoff(attempt), f"{last_problem} from GET {shown}")
                    continue
                page.error = f"{last_problem} (after {attempt} attempts)"
            return page

    # -- pagination --------------------------------------------------------------------------

    def link_pages(self, url: str, params: Any = None) -> Iterator[Page]:
        """Pages of a Link-paginated list: the first with `params`, then each `rel="next"` URL
        exactly as the server gave it (GitHub may switch to /repositories/{id}/...)."""
        page = self.get(url, params)
        seen = {page.url}
        while True:
            yield page
            following = page.next_url
            if not following:
                return
            following = self.url(following)
            if self.redact(following) in seen:  # a server looping on itself must not hang us
                log.warning("%s: next link repeats %s; stopping", self.source, following)
                return
            page = self.get(following)
            seen.add(page.url)


def _message(text: str, limit: int = 200) -> str:
    """The server's error message for a human, short."""
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return text.strip()[:limit]
    if isinstance(body, dict):
        for key in ("message", "error", "errors"):
            if key in body:
                return str(body[key])[:limit]
    return str(body)[:limit]
