"""``voxserve lexicons``, run as a user runs it, on the store the server reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def voxserve(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOXSERVE_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "voxserve.cli", "lexicons", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_put_list_show_delete(tmp_path: Path) -> None:
    entries = [{"grapheme": "行长", "pinyin": "hang2 zhang3"}]
    put = voxserve(tmp_path, "put", "bank", "-", stdin=json.dumps({"entries": entries}))
    assert put.returncode == 0 and "bank v1: 1 entries" in put.stderr
    file = tmp_path / "more.json"
    file.write_text(json.dumps([*entries, {"grapheme": "W3C", "alias": "万维网"}]), "utf-8")
    assert voxserve(tmp_path, "put", "bank", str(file)).returncode == 0
    listed = voxserve(tmp_path, "list").stdout
    assert "bank" in listed and "v2" in listed and "2 entries" in listed
    shown = json.loads(voxserve(tmp_path, "show", "bank").stdout)
    assert shown["version"] == 2 and shown["entries"][1] == {"grapheme": "W3C", "alias": "万维网"}
    assert voxserve(tmp_path, "list", "--key", "key_0123456789ab").stdout == ""
    assert voxserve(tmp_path, "delete", "bank").returncode == 0
    assert voxserve(tmp_path, "list").stdout == ""


def test_errors_are_one_line_naming_the_entry(tmp_path: Path) -> None:
    bad = voxserve(tmp_path, "put", "bank", "-", stdin='[{"grapheme": "行", "pinyin": "hang9"}]')
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "voxserve: error: entries[0].pinyin: bad pinyin 'hang9': a syllable needs a tone "
        "number 1-5 (hang2)"
    ]
    assert voxserve(tmp_path, "put", "bank", "-", stdin="not json").returncode == 2
    missing = voxserve(tmp_path, "show", "nothing")
    assert missing.returncode == 2 and "no lexicon named 'nothing'" in missing.stderr
