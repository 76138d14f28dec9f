"""Real HTTP servers on 127.0.0.1 for API-mode tests: recorded pages replayed as they were
recorded, or an export directory served as fake GitHub / GitLab / Jenkins / PagerDuty / Opsgenie
APIs that page, filter and misbehave the way the real ones do.

    with LocalServer(RecordedApi.from_fixtures(FIXTURES / "github" / "pulls")) as server:
        ...  # point sources.github.base_url at server.url

    with LocalServer(ExportApi(export_dir, token="t")) as server:
        ...  # base_url: f"{server.url}/github", f"{server.url}/pagerduty", ...

Recorded pages (tests/fixtures/<source>/<endpoint>/*.json) are one exchange per file:
`{"request": "GET /path?param=value", "status": 200, "headers": {...}, "body": <JSON>}` or
`"body_text": "<raw text>"` for a page that is not JSON. Recorded query parameters must all be
in the request (more may be); several files for the same request are served in file order,
the last one from then on. `{base_url}` in header values and bodies is the server's URL.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

Response = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    @property
    def target(self) -> str:
        query = urlencode([(k, v) for k, vs in self.query.items() for v in vs])
        return self.path + (f"?{query}" if query else "")


class LocalServer:
    """Serves `app(request, base_url) -> (status, headers, body)` on 127.0.0.1 in a thread and
    records every request it answered."""

    def __init__(self, app: Callable[[Request, str], Response], port: int = 0) -> None:
        self.app = app
        self.requests: list[Request] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body separately would wait 40 ms

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Request(
                    "GET",
                    unquote(parts.path) if "%2F" not in parts.path else parts.path,
                    parse_qs(parts.query, keep_blank_values=True),
                    {k: v for k, v in self.headers.items()},
                )
                outer.requests.append(request)
                try:
                    status, headers, body = outer.app(request, outer.url)
                except Exception as exc:  # a bug in a fake server shows up as a 599
                    status, headers, body = 599, {}, f"fake server error: {exc!r}".encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (a read timeout under test) is not news

        self._server = Server(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        return [r.target for r in self.requests]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


# --- recorded pages -----------------------------------------------------------------------------


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    headers: dict[str, str]
    body: bytes | None  # None: JSON `body` to render with {base_url}
    body_json: Any = None
    name: str = ""
    delay: float = 0.0  # seconds before answering (a read timeout)

    @classmethod
    def load(cls, path: Path) -> Exchange:
        record = json.loads(path.read_text(encoding="utf-8"))
        method, target = record["request"].split(" ", 1)
        parts = urlsplit(target)
        raw = record.get("body_text")
        return cls(
            method,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            int(record.get("status", 200)),
            dict(record.get("headers", {})),
            raw.encode() if raw is not None else None,
            record.get("body"),
            path.name,
            float(record.get("delay_seconds", 0)),
        )

    def matches(self, request: Request) -> bool:
        if request.method != self.method or request.path != self.path:
            return False
        return all(request.query.get(k) == v for k, v in self.query.items())

    def render(self, base_url: str) -> Response:
        if self.delay:
            time.sleep(self.delay)
        headers = {k: v.replace("{base_url}", base_url) for k, v in self.headers.items()}
        if self.body is not None:
            body = self.body.replace(b"{base_url}", base_url.encode())
        else:
            body = json.dumps(self.body_json).replace("{base_url}", base_url).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return self.status, headers, body


@dataclass
class RecordedApi:
    """Replays recorded exchanges; a request nobody recorded gets a 404 naming it."""

    exchanges: list[Exchange]
    served: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_fixtures(cls, *folders: Path) -> RecordedApi:
        exchanges = [
            Exchange.load(path)
            for folder in folders
            for path in sorted(Path(folder).rglob("*.json"))
        ]
        return cls(exchanges)

    def __call__(self, request: Request, base_url: str) -> Response:
        candidates = [e for e in self.exchanges if e.matches(request)]
        if not candidates:
            return _json(404, {"message": f"Not Found (nothing recorded for {request.target})"})
        most = max(len(e.query) for e in candidates)
        group = [e for e in candidates if len(e.query) == most]
        key = f"{group[0].path}?{sorted(group[0].query.items())}"
        with self._lock:
            index = self.served.get(key, 0)
            self.served[key] = index + 1
        return group[min(index, len(group) - 1)].render(base_url)


# --- an export directory served as the APIs it was saved from -----------------------------------


def _natural(path: Path) -> tuple[int, str]:
    match = re.search(r"-(\d+)\.json$", path.name)
    return (int(match.group(1)) if match else 1, path.name)


def _pages(folder: Path, stem: str) -> list[Path]:
    if not folder.is_dir():
        return []
    pattern = re.compile(rf"^{re.escape(stem)}(-\d+)?\.json$")
    return sorted((p for p in folder.iterdir() if pattern.match(p.name)), key=_natural)


def _items(folder: Path, stem: str, wrapper: str | None = None) -> list[Any]:
    out: list[Any] = []
    for path in _pages(folder, stem):
        body = json.loads(path.read_text(encoding="utf-8"))
        if wrapper and isinstance(body, dict):
            body = body.get(wrapper, [])
        out += body
    return out


def _children(repo_dir: Path, folder: str, key: str, parent: int | str) -> list[Any] | None:
    path = repo_dir / folder / f"{parent}.json"
    if path.is_file():
        body = json.loads(path.read_text(encoding="utf-8"))
        return body["files"] if isinstance(body, dict) else body  # a saved commit: its files
    ndjson = repo_dir / f"{folder}.ndjson"
    if ndjson.is_file():
        found = None
        for line in ndjson.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if str(record[key]).lower() == str(parent).lower():
                    found = (found or []) + record["items"]
        return found
    return None


def _date(value: str | None) -> str:
    return (value or "")[:19]


@dataclass
class Fault:
    """Misbehaviour injected before the real answer: for requests whose target matches `pattern`,
    the first `times` answers are `response(base_url, clock)`."""

    pattern: str
    response: Callable[[str], Response]
    times: int = 1
    hits: int = 0


class ExportApi:
    """Serves an export directory as the APIs it came from, under `/github`, `/gitlab/api/v4`,
    `/jenkins`, `/pagerduty` and `/opsgenie`, paging with Link headers, offsets, keyset cursors
    and ranges, and honouring the filters API mode sends (`since`, `created`, `updated_after`,
    `sort`/`direction`, `since`/`until`, `service_ids[]`)."""

    def __init__(
        self,
        root: Path,
        *,
        token: str | None = None,
        jenkins_user: str = "stature",
        faults: Iterable[Fault] = (),
        echo_auth: bool = False,
        pagerduty_offset_cap: int = 10_000,
    ) -> None:
        self.pagerduty_offset_cap = pagerduty_offset_cap
        self.root = Path(root)
        self.token = token
        self.jenkins_user = jenkins_user
        self.faults = list(faults)
        self.echo_auth = echo_auth  # put the received credentials in headers and errors
        self._lock = threading.Lock()
        gh = self.root / "github"
        repos = (
            sorted(
                f"{o.name}/{r.name}"
                for o in gh.iterdir()
                if o.is_dir()
                for r in o.iterdir()
                if r.is_dir()
            )
            if gh.is_dir()
            else []
        )
        self.repo_ids = {repo: 4000 + i for i, repo in enumerate(repos)}
        self.repo_of_id = {str(v): k for k, v in self.repo_ids.items()}

    # -- plumbing ------------------------------------------------------------------------------

    def _expected_auth(self, source: str) -> tuple[str, str] | None:
        t = self.token
        if t is None:
            return None
        if source == "github":
            return "Authorization", f"Bearer {t}"
        if source == "gitlab":
            return "PRIVATE-TOKEN", t
        if source == "pagerduty":
            return "Authorization", f"Token token={t}"
        if source == "opsgenie":
            return "Authorization", f"GenieKey {t}"
        pair = base64.b64encode(f"{self.jenkins_user}:{t}".encode()).decode()
        return "Authorization", f"Basic {pair}"

    def __call__(self, request: Request, base_url: str) -> Response:
        with self._lock:
            for fault in self.faults:
                if fault.hits < fault.times and re.search(fault.pattern, request.target):
                    fault.hits += 1
                    return fault.response(base_url)
        source = request.path.strip("/").split("/", 1)[0]
        expected = self._expected_auth(source)
        received = {k.lower(): v for k, v in request.headers.items()}
        if expected and received.get(expected[0].lower()) != expected[1]:
            sent = received.get(expected[0].lower(), "")
            message = "Bad credentials" + (f" (you sent {sent!r})" if self.echo_auth else "")
            return _json(401, {"message": message})
        rest = request.path.strip("/").split("/", 1)[1] if "/" in request.path.strip("/") else ""
        handler = getattr(self, f"_{source}", None)
        if handler is None:
            return _json(404, {"message": "Not Found"})
        status, headers, body = handler(request, rest, f"{base_url}/{source}")
        if self.echo_auth and expected:
            headers = {**headers, "X-Echo-Credentials": received.get(expected[0].lower(), "")}
        return status, headers, body

    @staticmethod
    def _page(request: Request, items: list[Any], default: int = 30) -> tuple[list[Any], bool, int]:
        per_page = min(int(request.arg("per_page", str(default)) or default), 100)
        page = int(request.arg("page", "1") or 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        return chunk, page * per_page < len(items), page

    # -- GitHub --------------------------------------------------------------------------------

    def _github(self, request: Request, rest: str, base: str) -> Response:
        match = re.match(r"^(?:repos/([^/]+/[^/]+)|repositories/(\d+))(?:/(.*))?$", rest)
        if not match:
            return _json(404, {"message": "Not Found"})
        repo = match.group(1) or self.repo_of_id.get(match.group(2) or "")
        if repo not in self.repo_ids:
            return _json(404, {"message": "Not Found"})
        repo_dir = self.root / "github" / repo
        tail = match.group(3) or ""
        wrapper = None
        if tail == "pulls":
            items = _items(repo_dir, "pulls")
            if request.arg("sort") == "updated":
                items.sort(key=lambda p: p["updated_at"], reverse=request.arg("direction") != "asc")
        elif m := re.match(r"^pulls/(\d+)/(commits|reviews|files)$", tail):
            found = _children(repo_dir, f"pull_{m.group(2)}", "number", int(m.group(1)))
            if found is None:
                return _json(404, {"message": "Not Found"})
            items = found
        elif m := re.match(r"^commits/([0-9a-f]{7,40})$", tail):
            return self._github_commit(repo_dir, m.group(1))
        elif tail == "commits":
            items = _items(repo_dir, "commits")
            if not items:
                return _json(409, {"message": "Git Repository is empty."})
            since = request.arg("since")
            if since:
                items = [
                    c for c in items if _date(c["commit"]["committer"]["date"]) >= _date(since)
                ]
        elif tail == "deployments":
            items = _items(repo_dir, "deployments")
        elif m := re.match(r"^deployments/(\d+)/statuses$", tail):
            items = (
                _children(repo_dir, "deployment_statuses", "deployment_id", int(m.group(1))) or []
            )
        elif tail == "actions/runs":
            items = _items(repo_dir, "workflow_runs", "workflow_runs")
            created = request.arg("created")
            if created:
                items = [r for r in items if _created_matches(r["created_at"], created)]
            wrapper = "workflow_runs"
        elif tail == "issues":
            items = _items(repo_dir, "issues")
            labels = [x for x in (request.arg("labels") or "").split(",") if x]
            if labels:
                items = [i for i in items if set(labels) <= {lb["name"] for lb in i["labels"]}]
            since = request.arg("since")
            if since:
                items = [i for i in items if _date(i["updated_at"]) >= _date(since)]
            if request.arg("sort") == "updated":
                items.sort(key=lambda i: i["updated_at"], reverse=request.arg("direction") != "asc")
        else:
            return _json(404, {"message": "Not Found"})
        chunk, more, page = self._page(request, items)
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-reset": "1900000000",
        }
        if more:
            # As GitHub sometimes does: the next link names the repo by id, not by name.
            query = {k: v[-1] for k, v in request.query.items()} | {"page": str(page + 1)}
            nxt = f"{base}/repositories/{self.repo_ids[repo]}/{tail}?{urlencode(query)}"
            headers["Link"] = f'<{nxt}>; rel="next"'
        body: Any = chunk if wrapper is None else {"total_count": len(items), wrapper: chunk}
        return _json(200, body, headers)

    @staticmethod
    def _github_commit(repo_dir: Path, commit_sha: str) -> Response:
        """GET /repos/{o}/{r}/commits/{sha}: the commit as the list has it, with its `files`
        (one page: the tests' commits change far fewer than GitHub's 300 files a page)."""
        commit = next((c for c in _items(repo_dir, "commits") if c["sha"] == commit_sha), None)
        if commit is None:
            return _json(404, {"message": "No commit found for SHA: " + commit_sha})
        files = _children(repo_dir, "commit_files", "sha", commit_sha) or []
        return _json(200, {**commit, "files": files})

    # -- GitLab --------------------------------------------------------------------------------

    def _gitlab_projects(self) -> dict[str, dict[str, Any]]:
        """Every project folder of the export, by path, with the numeric id its merge requests
        or pipelines carry."""
        root = self.root / "gitlab"
        found: dict[str, dict[str, Any]] = {}
        for path in sorted(root.rglob("*.json")) if root.is_dir() else []:
            stem = re.sub(r"-\d+$", "", path.stem)
            if stem not in ("merge_requests", "pipelines", "deployments", "commits"):
                continue
            project = path.parent.relative_to(root).as_posix()
            entry = found.setdefault(project, {"path_with_namespace": project, "id": None})
            for item in _items(path.parent, stem) if stem != "deployments" else []:
                if isinstance(item, dict) and item.get("project_id") and entry["id"] is None:
                    entry["id"] = item["project_id"]
        return found

    def _gitlab(self, request: Request, rest: str, base: str) -> Response:
        if m := re.match(r"^api/v4/projects/([^/]+)$", rest):  # one project, by path or id
            wanted = unquote(m.group(1))
            for path, project in self._gitlab_projects().items():
                if wanted in (path, str(project["id"])):
                    return _json(200, {**project, "path": path.rpartition("/")[2]})
            return _json(404, {"message": "404 Project Not Found"})
        if m := re.match(r"^api/v4/projects/([^/]+)/repository/commits/([0-9a-f]+)/diff$", rest):
            folder = self.root / "gitlab" / unquote(m.group(1))
            if not any(c["id"] == m.group(2) for c in _items(folder, "commits")):
                return _json(404, {"message": "404 Commit Not Found"})
            diffs = _children(folder, "commit_diffs", "sha", m.group(2)) or []
            return self._gitlab_offset(request, diffs, f"{base}/{rest}", total=False)
        match = re.match(
            r"^api/v4/projects/([^/]+)/(merge_requests|pipelines|deployments|repository/commits)"
            r"(?:/(\d+))?(?:/(commits|notes|diffs))?$",
            rest,
        )
        if not match:
            return _json(404, {"message": "404 Not Found"})
        project = unquote(match.group(1))
        folder = self.root / "gitlab" / project
        if not folder.is_dir():
            return _json(404, {"message": "404 Project Not Found"})
        table = match.group(2)
        if match.group(4):  # a merge request's commits or notes: offset pages
            iid = int(match.group(3))
            found = _children(folder, f"merge_request_{match.group(4)}", "iid", iid)
            if found is None:  # none saved: an empty list for a merge request that exists
                if not any(m.get("iid") == iid for m in _items(folder, "merge_requests")):
                    return _json(404, {"message": "404 Not found"})
                found = []
            return self._gitlab_offset(request, found, f"{base}/{rest}")
        if table == "repository/commits":
            items = _items(folder, "commits")
            since = request.arg("since")
            if since:
                items = [c for c in items if _date(c["committed_date"]) >= _date(since)]
            if request.arg("pagination") == "keyset":
                return _json(405, {"message": "405 Method Not Allowed"})
            return self._gitlab_offset(request, items, f"{base}/{rest}", total=False)
        items = _items(folder, table)
        if match.group(3):
            found = [i for i in items if str(i.get("id")) == match.group(3)]
            return _json(200, found[0]) if found else _json(404, {"message": "404 Not found"})
        after = request.arg("updated_after")
        if after:
            items = [
                i for i in items if _date(i.get("updated_at") or i.get("created_at")) > _date(after)
            ]
        if request.arg("order_by") == "updated_at":
            items.sort(key=lambda i: (i.get("updated_at") or i.get("created_at"), i.get("id")))
        per_page = min(int(request.arg("per_page", "20") or 20), 100)
        path = f"{base}/api/v4/projects/{quote(project, safe='')}/{table}"
        query = {k: v[-1] for k, v in request.query.items() if k not in ("page", "cursor")}
        headers: dict[str, str] = {}
        if request.arg("pagination") == "keyset":
            if table == "merge_requests":
                return _json(405, {"message": "405 Method Not Allowed (keyset not supported)"})
            start = int(base64.b64decode(request.arg("cursor") or "MA==").decode())
            chunk = items[start : start + per_page]
            if start + per_page < len(items):
                cursor = base64.b64encode(str(start + per_page).encode()).decode()
                headers["Link"] = f'<{path}?{urlencode(query | {"cursor": cursor})}>; rel="next"'
        else:
            page = int(request.arg("page", "1") or 1)
            chunk = items[(page - 1) * per_page : page * per_page]
            more = page * per_page < len(items)
            headers["X-Next-Page"] = str(page + 1) if more else ""
            if more:
                headers["Link"] = f'<{path}?{urlencode(query | {"page": page + 1})}>; rel="next"'
        if table == "pipelines":  # the list is slim: times and name only from the single GET
            slim = ("started_at", "finished_at", "duration", "name")
            chunk = [{k: v for k, v in p.items() if k not in slim} for p in chunk]
        return _json(200, chunk, headers)

    @staticmethod
    def _gitlab_offset(
        request: Request, items: list[Any], path: str, *, total: bool = True
    ) -> Response:
        """Offset pages with `Link` and `X-Next-Page` (`X-Total` only where GitLab sends it:
        never for commits)."""
        per_page = min(int(request.arg("per_page", "20") or 20), 100)
        page = int(request.arg("page", "1") or 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(items)
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page)}
        headers["X-Next-Page"] = str(page + 1) if more else ""
        if total:
            headers["X-Total"] = str(len(items))
        if more:
            query = {k: v[-1] for k, v in request.query.items()} | {"page": str(page + 1)}
            headers["Link"] = f'<{path}?{urlencode(query)}>; rel="next"'
        return _json(200, chunk, headers)

    # -- Jenkins -------------------------------------------------------------------------------

    def _jenkins(self, request: Request, rest: str, base: str) -> Response:
        if not rest.endswith("/api/json"):
            return _json(404, {"message": "Not Found"})
        parts = rest[: -len("/api/json")].split("/")
        if len(parts) % 2 or any(p != "job" for p in parts[::2]):
            return _json(404, {"message": "Not Found"})
        job = "/".join(unquote(p) for p in parts[1::2])
        folder = self.root / "jenkins" / job
        if not _pages(folder, "builds"):
            return _json(404, {"message": "Not Found"})
        builds: list[Any] = []
        for path in _pages(folder, "builds"):
            body = json.loads(path.read_text(encoding="utf-8"))
            builds += (
                body.get("allBuilds", body.get("builds", [])) if isinstance(body, dict) else body
            )
        builds.sort(key=lambda b: b["number"], reverse=True)
        tree = request.arg("tree") or ""
        if m := re.search(r"\{(\d+),(\d+)\}\s*$", tree):
            builds = builds[int(m.group(1)) : int(m.group(2))]
        return _json(200, {"_class": "hudson.model.FreeStyleProject", "allBuilds": builds})

    # -- PagerDuty -----------------------------------------------------------------------------

    def _pagerduty(self, request: Request, rest: str, base: str) -> Response:
        incidents = _items(self.root / "pagerduty", "incidents", "incidents")
        if m := re.match(r"^incidents/([^/]+)$", rest):
            found = [i for i in incidents if i["id"] == m.group(1)]
            return (
                _json(200, {"incident": found[0]})
                if found
                else _json(404, {"error": {"message": "Not Found"}})
            )
        if rest != "incidents":
            return _json(404, {"error": {"message": "Not Found"}})
        limit = int(request.arg("limit", "25") or 25)
        offset = int(request.arg("offset", "0") or 0)
        if limit > 100 or offset + limit > self.pagerduty_offset_cap:
            return _json(
                400,
                {
                    "error": {
                        "message": "Invalid Input Provided",
                        "code": 2001,
                        "errors": ["Offset must be less than 10000."],
                    }
                },
            )
        since, until = request.arg("since"), request.arg("until")
        if since and until and _days_between(since, until) > 183:
            return _json(
                400,
                {
                    "error": {
                        "message": "Invalid Input Provided",
                        "code": 2001,
                        "errors": ["The maximum range of since and until is 6 months."],
                    }
                },
            )
        if since:
            incidents = [i for i in incidents if _date(i["created_at"]) >= _date(since)]
        if until:
            incidents = [i for i in incidents if _date(i["created_at"]) < _date(until)]
        services = request.query.get("service_ids[]")
        if services:
            incidents = [i for i in incidents if i["service"]["id"] in services]
        incidents.sort(key=lambda i: (i["created_at"], i["id"]))
        chunk = incidents[offset : offset + limit]
        more = offset + limit < len(incidents)
        total = len(incidents) if request.arg("total") == "true" else None
        return _json(
            200,
            {"incidents": chunk, "limit": limit, "offset": offset, "total": total, "more": more},
        )

    # -- Opsgenie ------------------------------------------------------------------------------

    def _opsgenie(self, request: Request, rest: str, base: str) -> Response:
        if rest == "v2/teams":
            teams = _items(self.root / "opsgenie", "teams", "data")
            return _json(200, {"data": teams, "took": 0.01, "requestId": "r-2"})
        if rest != "v2/alerts":
            return _json(404, {"message": "Could not find"})
        alerts = _items(self.root / "opsgenie", "alerts", "data")
        limit = int(request.arg("limit", "20") or 20)
        offset = int(request.arg("offset", "0") or 0)
        if limit > 100 or offset + limit > 20_000:
            return _json(422, {"message": "offset + limit must be at most 20000"})
        if request.arg("sort") == "updatedAt":
            alerts.sort(key=lambda a: a["updatedAt"], reverse=request.arg("order") == "desc")
        chunk = alerts[offset : offset + limit]
        query = {k: v[-1] for k, v in request.query.items()}
        paging = {"first": f"{base}/v2/alerts?{urlencode(query | {'offset': 0})}"}
        if offset + limit < len(alerts):
            paging["next"] = f"{base}/v2/alerts?{urlencode(query | {'offset': offset + limit})}"
        return _json(200, {"data": chunk, "paging": paging, "took": 0.01, "requestId": "r-1"})


def _created_matches(created: str, expression: str) -> bool:
    day = created[:10]
    if expression.startswith(">="):
        return day >= expression[2:12]
    if ".." in expression:
        start, end = expression.split("..", 1)
        return start[:10] <= day <= end[:10]
    return day == expression[:10]


def _days_between(a: str, b: str) -> float:
    import datetime as dt

    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(b) - parse(a)).total_seconds() / 86400


def main(argv: list[str] | None = None) -> None:
    """Serve an export directory as fake APIs until interrupted, to try API mode by hand:

    python -m tests.support.replay_server data/sample_org --port 8765 --token dev-token
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("export_dir", type=Path)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--token", help="require this token from every client")
    args = parser.parse_args(argv)
    with LocalServer(ExportApi(args.export_dir, token=args.token), port=args.port) as server:
        print(f"serving {args.export_dir} at {server.url}; base URLs:", flush=True)
        for source, path in (
            ("github", "/github"),
            ("gitlab", "/gitlab/api/v4"),
            ("jenkins", "/jenkins"),
            ("pagerduty", "/pagerduty"),
            ("opsgenie", "/opsgenie"),
        ):
            print(f"  {source}: {server.url}{path}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
