"""The HTTP behaviour every API source shares, written once: dlt's `RESTClient` makes the
requests and its paginators walk the pages; this module adds auth from environment variables,
the retry and rate-limit policy, and tokens kept out of every message.

dlt's client is used as it is (URL joining, auth objects, `paginate()` with a paginator per
source, pages that carry their `response`). Three things stay here because dlt 1.31 does not
do them:
- Retries live in `RetryingSession.send` rather than in dlt's `Client(...).session`, whose
  tenacity policy retries 429 and 5xx only: GitHub's `403` + `x-ratelimit-remaining: 0` could
  be added with a `retry_condition`, but its wait would be backoff, not the time until
  `x-ratelimit-reset`. It also shortens a long `Retry-After` to `request_max_retry_delay`
  without a word (rather than failing with "run again later"), sleeps with a `time.sleep` its
  constructor does not let a test replace, and after the last attempt returns the last 5xx
  response instead of an error naming the attempts.
- A page whose body is not JSON is retried, then kept with its error (`Page.error`) so API mode
  can reject that page by URL and go on: `RESTClient.extract_response` would raise on it and end
  `paginate()` there, losing the pages after it. `StatureRESTClient` yields it as an empty page.
- `link_next` reads a `Link` header the way GitHub and GitLab write it, whatever the quoting,
  and `NextLink` stops a server whose `next` link points back at a page already read.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import BasePaginator, HeaderLinkPaginator

# Re-exported: what an API module needs of HTTP comes from here.
from ingestion.credentials import Credentials as Credentials
from ingestion.credentials import Redactor as Redactor
from ingestion.credentials import credentials as credentials

log = logging.getLogger(__name__)

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
    """`url` with `params` set (lists repeat the key: `service_ids[]=A&service_ids[]=B`)."""
    if not params:
        return url
    items = list(params.items() if isinstance(params, Mapping) else params)
    names = {key for key, _ in items}
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        pairs += [(key, str(v)) for v in values]
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode(kept + pairs, safe="[]{},:/")))


# --- retries and rate limits --------------------------------------------------------------------


@dataclass
class RetryPolicy:
    attempts: int = 6  # tries per request for 5xx, timeouts and malformed bodies
    backoff_seconds: float = 1.0  # first wait; doubles each attempt ...
    backoff_cap_seconds: float = 60.0  # ... up to this
    rate_limit_waits: int = 10  # rate-limit waits per request before giving up
    max_wait_seconds: float = 3900.0  # a reset further away than this fails the source
    timeout: tuple[float, float] = (10.0, 60.0)  # connect, read


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


class RetryingSession(requests.Session):
    """The one place requests are sent: waits out rate limits as the server asks (Retry-After,
    or a reset time when none remain), backs off on 5xx, timeouts and bodies that are not JSON,
    raises an `ApiError` the caller can act on, and counts requests and seconds waited.
    `sleep` and `clock` are injectable so tests wait for nothing."""

    def __init__(
        self,
        source: str,
        creds: Credentials,
        redact: Redactor,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        super().__init__()
        self.source, self.creds, self.redact, self.policy = source, creds, redact, policy
        self.sleep, self.clock = sleep, clock
        self.requests = 0
        self.waited = 0.0

    def _wait(self, seconds: float, why: str) -> None:
        seconds = max(0.0, seconds)
        log.info("%s: %s; waiting %.0f s", self.source, why, seconds)
        self.waited += seconds
        self.sleep(seconds)

    def _backoff(self, attempt: int) -> float:
        p = self.policy
        return min(p.backoff_cap_seconds, p.backoff_seconds * (2 ** (attempt - 1)))

    def _asked_wait(self, response: requests.Response) -> float | None:
        """Seconds the server asked us to wait, -1 for 'back off', None if not a rate limit."""
        h = response.headers
        retry_after = (h.get("Retry-After") or "").strip()
        if retry_after:
            if retry_after.isdigit():
                return float(retry_after)
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
        return -1.0 if response.status_code == 429 else None

    def _check_wait(self, wait: float, waits: int, shown: str, status: int) -> None:
        limit = self.policy.max_wait_seconds
        if wait > limit:
            raise RateLimitError(
                f"{self.source}: rate limited on GET {shown}; the server asks to wait "
                f"{wait / 60:.0f} min, longer than the {limit / 60:.0f} min this run waits: "
                "run again later",
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

    def _refused(self, response: requests.Response, shown: str) -> ApiError:
        status = response.status_code
        names = " and ".join(self.creds.env_vars)
        if status == 401 or (status == 403 and self.creds.missing):
            if self.creds.missing:
                fix = f"{' and '.join(self.creds.missing)} is not set: set it to a valid token"
            else:
                fix = f"the token in {names} was refused: set {names} to a valid, unexpired token"
            kind: type[ApiError] = AuthError if status == 401 else ForbiddenError
        elif status == 403:
            fix = f"the token in {names} lacks access to this: give it the scopes it needs"
            kind = ForbiddenError
        else:
            said = self.redact(_message(response.text))
            kind = NotFoundError if status in (404, 409, 410) else ApiError
            return kind(
                f"{self.source}: {status} {response.reason} for GET {shown}: {said}",
                url=shown,
                status=status,
            )
        said = _message(response.text)
        message = (
            f"{self.source}: {status} {response.reason} for GET {shown}"
            f"{f' ({said})' if said else ''}: {fix} (docs/sources.md lists the scopes it needs)"
        )
        return kind(self.redact(message), url=shown, status=status)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        allowed = set(kwargs.pop("allow", ()))
        kwargs.setdefault("timeout", self.policy.timeout)
        shown = self.redact(request.url)
        attempt = waits = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = super().send(request, **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem = type(exc).__name__
                if attempt >= self.policy.attempts:
                    raise RetriesExhausted(
                        f"{self.source}: GET {shown} failed {attempt} times ({problem})", url=shown
                    ) from None
                self._wait(self._backoff(attempt), f"{problem} on GET {shown}")
                continue
            status = response.status_code
            if status in allowed:
                return response
            if status in (403, 429) and (wait := self._asked_wait(response)) is not None:
                waits += 1
                wait = self._backoff(waits) if wait < 0 else wait
                self._check_wait(wait, waits, shown, status)
                self._wait(wait, f"{status} rate limit on GET {shown}")
                attempt -= 1  # a rate-limit wait is not a failed attempt
                continue
            if 500 <= status < 600:
                problem = f"{status} {response.reason}"
                if attempt >= self.policy.attempts:
                    raise RetriesExhausted(
                        f"{self.source}: GET {shown} failed {attempt} times (last: {problem})",
                        url=shown,
                        status=status,
                    )
                asked = self._asked_wait(response) if "Retry-After" in response.headers else None
                wait = asked if asked is not None and asked >= 0 else self._backoff(attempt)
                self._check_wait(wait, 0, shown, status)
                self._wait(wait, f"{problem} on GET {shown}")
                continue
            if status >= 400:
                raise self._refused(response, shown)
            problem = _parse_body(response)
            if problem and attempt < self.policy.attempts:
                self._wait(self._backoff(attempt), f"{problem} from GET {shown}")
                continue
            if problem:
                response.stature_error = f"{problem} (after {attempt} attempts)"  # type: ignore[attr-defined]
            return response


def _parse_body(response: requests.Response) -> str | None:
    """Parse the JSON body once, onto the response; the problem if it is not JSON."""
    text = response.text
    try:
        response.stature_body = json.loads(text) if text.strip() else None  # type: ignore[attr-defined]
    except json.JSONDecodeError as exc:
        return f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    except RecursionError:
        return "JSON nested too deeply to parse"
    return None


# --- the client ---------------------------------------------------------------------------------


class StatureRESTClient(RESTClient):
    """dlt's RESTClient, except that a page that stayed broken is yielded (empty, with its
    error on the response) rather than raising out of `paginate()`."""

    def extract_response(self, response: requests.Response, data_selector: Any) -> list[Any]:
        if getattr(response, "stature_error", None) or not response.text.strip():
            return []
        return super().extract_response(response, data_selector)


class NextLink(HeaderLinkPaginator):
    """Follows `Link: rel="next"` exactly as given (GitHub may switch to /repositories/{id}
    URLs), and stops where a server's next link repeats a page already read."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def next_of(self, response: requests.Response) -> str | None:
        return link_next(response.headers.get("Link"))

    def update_state(self, response: requests.Response, data: list[Any] | None = None) -> None:
        self.seen.add(response.url)
        following = self.next_of(response)
        if following and following in self.seen:
            log.warning("next link repeats %s; stopping", following)
            following = None
        self._next_reference = following


class Client:
    """GET and paginate one API, as its source's `api.py` needs: `get` for one request,
    `pages` with a dlt paginator for a list, `link_pages` for Link-header lists."""

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
    ) -> None:
        redact.add(*creds.secrets)
        self.source = source
        self.redact = redact
        self.base_url = base_url.rstrip("/")
        self.session = RetryingSession(source, creds, redact, policy or RetryPolicy(), sleep, clock)
        self.rest = StatureRESTClient(
            self.base_url,
            headers={"User-Agent": "stature-ingest", **(headers or {})},
            auth=creds.auth,
            session=self.session,
        )

    @property
    def requests(self) -> int:
        return self.session.requests

    @property
    def waited(self) -> float:
        return self.session.waited

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.base_url}/{path.lstrip('/')}"

    def page(self, response: requests.Response) -> Page:
        return Page(
            self.redact(response.url),
            response.status_code,
            dict(response.headers),
            response.text,
            getattr(response, "stature_body", None),
            getattr(response, "stature_error", None),
        )

    def get(self, url: str, params: Any = None, *, allow: Iterable[int] = ()) -> Page:
        """One GET (absolute, or relative to base_url); `allow`ed statuses come back as pages."""
        return self.page(self.rest.get(self.url(url), params=params, allow=tuple(allow)))

    def pages(
        self,
        url: str,
        params: Any = None,
        *,
        paginator: BasePaginator,
        data: str = "$",
        allow: Iterable[int] = (),
    ) -> Iterator[Page]:
        """Every page of a list as `paginator` walks it; `data` is where a page keeps its items
        (what dlt's paginators that count items look at)."""
        for page in self.rest.paginate(
            self.url(url),
            params=params,
            paginator=paginator,
            data_selector=data,
            hooks={"response": []},  # RetryingSession raised already; nothing left to check
            allow=tuple(allow),
        ):
            yield self.page(page.response)

    def link_pages(self, url: str, params: Any = None) -> Iterator[Page]:
        """Pages of a Link-paginated list: the first with `params`, then each `rel="next"`."""
        yield from self.pages(url, params, paginator=NextLink())
