"""Files a hostile path cannot hang, exhaust or half-write."""

import errno
import json
import os

import pytest

from convviz import ConvSpecError
from convviz.session import files, safe_io
from convviz.session.files import FileRefused, check_output_path, load_spec_file, read_text_file, write_atomic


def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "spec.json"
    os.mkfifo(fifo)
    with pytest.raises(FileRefused, match="it is a pipe"):
        load_spec_file(fifo)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    with pytest.raises(FileRefused, match="it is a device"):
        load_spec_file(device)


def test_a_folder_and_an_oversized_file_are_refused(tmp_path):
    with pytest.raises(FileRefused, match="it is a folder"):
        read_text_file(tmp_path, "spec file")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (files.MAX_SPEC_BYTES + 1))
    with pytest.raises(FileRefused, match="convviz reads at most"):
        load_spec_file(big)


def test_huge_integers_in_a_spec_file_are_refused_in_words(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text('{"input_shape": [1, 1, ' + "9" * 5000 + ', 7], "out_channels": 1, "kernel_size": 3}')
    with pytest.raises(ConvSpecError, match="is not a spec"):
        load_spec_file(path)


def test_writes_follow_a_symlink_to_its_target(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert oct(os.stat(target).st_mode & 0o777) == oct(0o640)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "records.json"
    target.write_text(json.dumps({"records": [1, 2, 3]}))

    def disk_full(_):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(safe_io.os, "fsync", disk_full)
    with pytest.raises(FileRefused, match="No space left on device"):
        write_atomic(target, "x" * 1000)
    assert json.loads(target.read_text()) == {"records": [1, 2, 3]}
    assert [path.name for path in tmp_path.iterdir()] == ["records.json"]


def test_output_paths_are_checked_before_any_work(tmp_path):
    with pytest.raises(FileRefused, match="does not exist"):
        check_output_path(tmp_path / "missing" / "out.json", "--json file")
    with pytest.raises(FileRefused, match="it is a folder"):
        check_output_path(tmp_path, "--json file")
    with pytest.raises(FileRefused, match="needs a file name"):
        check_output_path("", "screenshot")
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    with pytest.raises(FileRefused, match="pipe"):
        check_output_path(fifo, "--csv file")
    assert check_output_path(tmp_path / "new.json") == os.path.realpath(tmp_path / "new.json")
