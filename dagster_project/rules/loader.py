"""Reading rule files: the YAML header in the first block comment, validated into a
`RuleHeader`, with every problem pointing at a file and line.

Layout: `<rules_dir>/<scorecard>/<rule_id>.sql` (the folder `initiatives/` is not a
scorecard). The header's `id` and `scorecard` must match the path, so a rule's asset key
and its rows in check_results never drift apart.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from dagster_project.rules.messages import closest, model_keys, plain_error
from dagster_project.rules.model import Problem, RuleHeader

HEADER_RE = re.compile(r"\A(\s*)/\*---[ \t]*\r?\n(.*?)^[ \t]*---\*/", re.DOTALL | re.MULTILINE)
RULE_GLOB = "*/*.sql"
# Not a scorecard: initiatives (<rules_dir>/initiatives/<id>.yml, rules/initiatives.py).
INITIATIVES_DIR = "initiatives"


def rule_version(text: str) -> str:
    """The rule_version stored with every result: a hash of the file's content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class RuleFile:
    """One rule file as read from disk (or from git, for `rules diff`)."""

    path: Path
    text: str
    rule_id: str
    scorecard: str
    header: RuleHeader | None
    problems: list[Problem] = field(default_factory=list)
    key_lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    header_end_line: int = 1  # the line of `---*/`; SQL starts after it

    @property
    def version(self) -> str:
        return rule_version(self.text)

    @property
    def ok(self) -> bool:
        return self.header is not None and not self.problems

    def line_of(self, *keys: str) -> int | None:
        return self.key_lines.get(tuple(keys))

    def problem(
        self, message: str, hint: str = "", *, line: int | None = None, col: int | None = None
    ) -> Problem:
        return Problem(self.path, line, col, message, hint)

    @property
    def entity(self) -> str:
        return self.header.entity if self.header else "service"

    @property
    def body(self) -> str:
        """The SQL after the header, for comparing two versions' queries."""
        match = HEADER_RE.match(self.text)
        return self.text[match.end() :] if match else self.text


# libyaml's parser when PyYAML was built with it (the wheels are): the same documents, marks
# and errors, parsed in C; every process reads every rule's header.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """Refuses duplicate keys, which PyYAML would otherwise let the last one win."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on header line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def key_lines(text: str, first_line: int) -> dict[tuple[str, ...], int]:
    """File line of every key (and list item) in a YAML text that starts at `first_line`."""
    lines: dict[tuple[str, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=_SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                sub = (*path, str(k.value))
                lines[sub] = k.start_mark.line + first_line
                walk(v, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                sub = (*path, str(i))
                lines[sub] = item.start_mark.line + first_line
                walk(item, sub)

    if root is not None:
        walk(root, ())
    return lines


def pydantic_problems(
    exc: ValidationError,
    path: Path,
    lines: dict[tuple[str, ...], int],
    default_line: int | None,
    *,
    model: type[BaseModel] | None = None,
    given: Iterable[str] = (),
    what: str = "header",
) -> list[Problem]:
    """Pydantic's errors as problems with the line of the key they are about, in plain words;
    an unknown key says which known key it is probably meant to be (`model`'s keys), and that
    this key is missing when it is not among the `given` ones."""
    given = set(given)
    problems = []
    for err in exc.errors():
        loc = tuple(str(p) for p in err["loc"])
        line = None
        for n in range(len(loc), 0, -1):
            line = lines.get(loc[:n])
            if line is not None:
                break
        key = ".".join(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            known = model_keys(model, loc[:-1]) if model is not None else []
            meant = closest(loc[-1], known, cutoff=0.7)
            hint = "remove it or check its spelling"
            if meant:
                hint = f"did you mean {meant}?"
                if len(loc) == 1 and meant not in given:
                    hint += f" The {what} has no {meant}"
            problems.append(Problem(path, line, None, f"unknown key '{key}'", hint))
        elif kind == "missing":
            problems.append(
                Problem(path, default_line, None, f"missing key '{key}'", "add it to the header")
            )
        elif not loc:
            problems.append(Problem(path, line or default_line, None, plain_error(err)))
        else:
            problems.append(
                Problem(path, line or default_line, None, f"key '{key}': {plain_error(err)}")
            )
    return sorted(problems, key=lambda p: p.line or 0)


def parse_rule(path: Path, text: str, rules_dir: Path | None = None) -> RuleFile:
    """A rule file's header, with problems instead of exceptions (an invalid file still
    gets a RuleFile, so it can be reported, shown in Dagster and given `error` rows)."""
    path = Path(path)
    rule_id, scorecard = path.stem, path.parent.name
    rule = RuleFile(path=path, text=text, rule_id=rule_id, scorecard=scorecard, header=None)
    match = HEADER_RE.match(text)
    if not match:
        if text.lstrip().startswith("/*---"):
            rule.problems.append(
                rule.problem(
                    "the header is not closed",
                    "end the YAML header with a line holding only ---*/",
                    line=text[: len(text) - len(text.lstrip())].count("\n") + 1,
                    col=1,
                )
            )
        else:
            rule.problems.append(
                rule.problem(
                    "missing header: a rule file starts with a /*--- ... ---*/ block comment "
                    "holding its YAML header",
                    "see docs/rules.md for the keys (id, title, scorecard, level, owner, ...)",
                    line=1,
                    col=1,
                )
            )
        return rule
    yaml_text = match.group(2)
    first_line = match.group(1).count("\n") + 2  # the line after `/*---`
    rule.header_end_line = text[: match.end()].count("\n") + 1
    for i, line in enumerate(yaml_text.splitlines()):
        for token in ("/*", "*/"):
            if token in line:
                rule.problems.append(
                    rule.problem(
                        f"'{token}' inside the header: SQL block comments nest, so it breaks the file",
                        "write it another way (e.g. inputs/<name>.csv instead of a glob)",
                        line=first_line + i,
                        col=line.index(token) + 1,
                    )
                )
                return rule
    try:
        raw = yaml.load(yaml_text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark else first_line
        col = mark.column + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        rule.problems.append(
            rule.problem(
                f"the header is not valid YAML: {reason}", "fix the YAML", line=line, col=col
            )
        )
        return rule
    if not isinstance(raw, dict):
        rule.problems.append(
            rule.problem(
                "the header must be a YAML mapping of keys (id: ..., title: ...)",
                line=first_line,
                col=1,
            )
        )
        return rule
    rule.key_lines = key_lines(yaml_text, first_line)
    try:
        header = RuleHeader(**{str(k): v for k, v in raw.items()})
    except ValidationError as exc:
        rule.problems.extend(
            pydantic_problems(
                exc, path, rule.key_lines, first_line, model=RuleHeader, given=map(str, raw)
            )
        )
        if isinstance(raw.get("id"), str):
            rule.rule_id = raw["id"]
        return rule
    rule.header = header
    rule.rule_id = header.id
    rule.scorecard = header.scorecard
    if header.id != path.stem:
        rule.problems.append(
            rule.problem(
                f"id '{header.id}' does not match the file name '{path.name}'",
                f"rename the file to {header.id}.sql or set id: {path.stem}",
                line=rule.line_of("id"),
            )
        )
    in_rules_dir = rules_dir is None or path.parent.parent.resolve() == Path(rules_dir).resolve()
    if in_rules_dir and header.scorecard != path.parent.name:
        rule.problems.append(
            rule.problem(
                f"scorecard '{header.scorecard}' does not match the folder '{path.parent.name}'",
                f"move the file to {header.scorecard}/ or set scorecard: {path.parent.name}",
                line=rule.line_of("scorecard"),
            )
        )
    return rule


def rule_files(rules_dir: Path) -> list[Path]:
    """Every rule file under `rules_dir`, in a stable order."""
    return sorted(
        p
        for p in Path(rules_dir).glob(RULE_GLOB)
        if p.is_file() and p.parent.name != INITIATIVES_DIR
    )


def load_rules(rules_dir: Path, only: list[str] | tuple[str, ...] | None = None) -> list[RuleFile]:
    """Read every rule of `rules_dir` (or those whose id, file name or path is in `only`)."""
    rules_dir = Path(rules_dir)
    rules = [parse_rule(p, p.read_text(encoding="utf-8"), rules_dir) for p in rule_files(rules_dir)]
    mark_duplicates(rules)
    if only:
        wanted = set(only)
        rules = [r for r in rules if select_rule(r, wanted)]
    return rules


def select_rule(rule: RuleFile, wanted: set[str]) -> bool:
    """Whether `rule` is named in `wanted` by id, `scorecard/id`, file name or path."""
    names = {rule.rule_id, rule.path.stem, f"{rule.scorecard}/{rule.rule_id}", str(rule.path)}
    names.add(str(rule.path.resolve()))
    return bool(names & wanted) or any(
        Path(w).resolve() == rule.path.resolve() for w in wanted if w.endswith(".sql")
    )


def mark_duplicates(rules: list[RuleFile]) -> None:
    """Two files with one id would write over each other's results: both are refused."""
    by_id: dict[str, list[RuleFile]] = defaultdict(list)
    for rule in rules:
        by_id[rule.rule_id].append(rule)
    for rule_id, same in by_id.items():
        if len(same) < 2:
            continue
        for rule in same:
            others = ", ".join(str(o.path) for o in same if o is not rule)
            rule.problems.append(
                rule.problem(
                    f"id '{rule_id}' is also used by {others}",
                    "rule ids are unique across scorecards: rename one",
                    line=rule.line_of("id"),
                )
            )
