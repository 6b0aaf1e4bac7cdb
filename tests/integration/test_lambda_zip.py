"""The Lambda zip runs without any library from the host: unpack it into an
otherwise empty root holding only a static busybox, chroot there, and answer
one PING and one server-status against the fakes (over loopback, which the
chroot shares)."""
import os
import pathlib
import shutil
import subprocess
import zipfile

import pytest

from conftest import BUILD
from lambdactl import Harness, embed

BUSYBOX = "/bin/busybox"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root"),
    pytest.mark.skipif(not shutil.which("zip"), reason="zip not installed (apt-get install zip)"),
    pytest.mark.skipif(not os.path.exists(BUSYBOX) or
                       subprocess.run(["ldd", BUSYBOX], capture_output=True).returncode == 0,
                       reason="needs a static busybox (apt-get install busybox-static)"),
]


@pytest.fixture(scope="module")
def lambda_zip(builddir, srcdir, tmp_path_factory):
    out = tmp_path_factory.mktemp("zip") / "sigrun-lambda.zip"
    subprocess.run(["sh", str(srcdir / "packaging" / "lambda" / "make-zip.sh"),
                    str(builddir / "lambda" / "bootstrap"), str(out)], check=True, capture_output=True)
    return out


def test_zip_layout(lambda_zip):
    with zipfile.ZipFile(lambda_zip) as z:
        names = set(z.namelist())
        script = z.read("bootstrap").decode()
        mode = z.getinfo("bootstrap").external_attr >> 16
    assert {"bootstrap", "bin/bootstrap-real", "lib/ld-linux-x86-64.so.2", "lib/libc.so.6",
            "lib/libcurl.so.4", "lib/libsodium.so.23"} <= names
    assert mode & 0o111
    assert '/lib/ld-linux-x86-64.so.2" --library-path "$root/lib" "$root/bin/bootstrap-real"' in script


# The sanitizer runtime wants /proc, which the empty root does not have.
@pytest.mark.skipif(BUILD.asan, reason="sanitizer builds need /proc")
def test_zip_runs_in_empty_root(lambda_zip, builddir, tmp_path):
    root = tmp_path / "root"
    task = root / "var" / "task"
    task.mkdir(parents=True)
    (root / "bin").mkdir()
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    os.symlink("busybox", root / "bin" / "sh")
    # zipfile does not keep modes; unzip does.
    subprocess.run([BUSYBOX, "unzip", "-q", str(lambda_zip), "-d", str(task)], check=True)
    assert not (root / "lib").exists() and not (root / "usr").exists()

    h = Harness(builddir, binary=[shutil.which("chroot"), str(root), "/bin/sh", "/var/task/bootstrap"],
                env={"LAMBDA_TASK_ROOT": "/var/task", "PATH": "/bin"})
    h.ec2.add_instance("i-0aaa", state="running", ip="127.0.0.1", world="Midgard")
    h.start()
    try:
        assert h.call({"type": 1}) == (200, {"type": 1})
        data = h.command("server-status")
        assert embed(data)["title"] == "Midgard is running"
        assert not h.ec2.auth_failures
    finally:
        err = h.stop()
    assert "error while loading shared libraries" not in err, err
