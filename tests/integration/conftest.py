"""Shared pytest fixtures: where the binaries under test are.

configure writes tests/buildconfig.py into the build tree; make check passes
that tree as $SIGRUN_TOP_BUILDDIR. Run by hand with
    SIGRUN_TOP_BUILDDIR=$PWD/build /usr/bin/python3 -m pytest tests/integration
"""
import importlib.util
import os
import pathlib

import pytest

SRCDIR = pathlib.Path(__file__).resolve().parents[2]


def _buildconfig():
    builddir = os.environ.get("SIGRUN_TOP_BUILDDIR", str(SRCDIR / "build"))
    path = pathlib.Path(builddir) / "tests" / "buildconfig.py"
    spec = importlib.util.spec_from_file_location("buildconfig", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


BUILD = _buildconfig()
BUILDDIR = pathlib.Path(BUILD.top_builddir)
DATADIR = SRCDIR / "tests" / "data"


@pytest.fixture(scope="session")
def builddir():
    return BUILDDIR


@pytest.fixture(scope="session")
def srcdir():
    return SRCDIR


@pytest.fixture(scope="session")
def datadir():
    return DATADIR
