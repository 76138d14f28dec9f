"""A test that needs an installed program (the browser tests need Chromium) never passes by
skipping in CI: with CI set a missing program fails it; elsewhere it skips and says why."""

from __future__ import annotations

import pytest

from tests.conftest import require_program


def test_a_missing_program_fails_with_ci_set(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="with CI set this test must run, not skip"):
        require_program(tmp_path / "chromium", "`make chromium` installs it")


def test_a_missing_program_skips_with_the_reason_outside_ci(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        require_program(tmp_path / "chromium", "`make chromium` installs it")
    assert str(skipped.value.msg) == (
        f"{tmp_path / 'chromium'} is not installed (`make chromium` installs it); "
        "with CI set this fails"
    )


def test_an_installed_program_neither_fails_nor_skips(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "1")
    program = tmp_path / "chromium"
    program.write_text("#!/bin/sh\n")
    require_program(program, "`make chromium` installs it")
