"""Discovery: folders, zips (GBK names without the UTF-8 flag), loose files, clutter, and refusals."""

from __future__ import annotations

import dataclasses
import io
import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.discover import Discoverer, zip_member_name
from pipeline.safety import Limits, sanitize_name, visible

SAMPLE_SUB = Path(__file__).resolve().parent.parent / "samples" / "batch" / "上海臻图智造科技有限公司-白车身焊装产线数字孪生"


def _zip_bytes(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def gbk_zip(members: list[tuple[str, bytes]]) -> bytes:
    """A zip as Chinese Windows' built-in zipper writes it: GBK names, no UTF-8 flag (bit 11)."""
    placeholders = []
    for i, (name, _data) in enumerate(members):
        raw = name.encode("gbk")
        placeholders.append((f"{i:0{len(raw)}d}"[: len(raw)].encode("ascii"), raw))
    data = _zip_bytes([(ph.decode("ascii"), d) for (ph, _raw), (_n, d) in zip(placeholders, members, strict=True)])
    for ph, raw in placeholders:
        assert data.count(ph) == 2  # local header and central directory
        data = data.replace(ph, raw)
    return data


def set_encrypted_flag(data: bytes, name: str) -> bytes:
    """Mark a member as encrypted (flag bit 0) in its local header and central directory entry."""
    buf = bytearray(data)
    raw = name.encode("ascii")
    for sig, flag_off, name_len_off, name_off in ((b"PK\x03\x04", 6, 26, 30), (b"PK\x01\x02", 8, 28, 46)):
        pos = buf.find(sig)
        while pos != -1:
            n = struct.unpack_from("<H", buf, pos + name_len_off)[0]
            if bytes(buf[pos + name_off: pos + name_off + n]) == raw:
                flags = struct.unpack_from("<H", buf, pos + flag_off)[0]
                struct.pack_into("<H", buf, pos + flag_off, flags | 1)
            pos = buf.find(sig, pos + 4)
    return bytes(buf)


def discover(batch: Path, tmp_path: Path, rules, limits: Limits | None = None):
    work = tmp_path / "work"
    subs = Discoverer(rules, work, limits).discover(batch)
    return {s.submission_id: s for s in subs}, work


def files_of(sub) -> dict[str, object]:
    return {f.rel_path: f for f in sub.files}


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    b = tmp_path / "batch"
    b.mkdir()
    return b


def test_folder_submission_with_nested_folders_and_clutter(batch, tmp_path, rules):
    sub = batch / "上海某科技有限公司"
    (sub / "附件" / "扫描件").mkdir(parents=True)
    (sub / "附件1.docx").write_bytes(b"PK")
    (sub / "附件" / "扫描件" / "承诺书.pdf").write_bytes(b"%PDF-")
    (sub / "备注.txt").write_text("请查收", "utf-8")
    for clutter in (".DS_Store", "Thumbs.db", "~$附件1.docx", "._附件1.docx"):
        (sub / clutter).write_bytes(b"x")
    (sub / "__MACOSX").mkdir()
    (sub / "__MACOSX" / "附件1.docx").write_bytes(b"x")
    (batch / ".DS_Store").write_bytes(b"x")
    subs, _ = discover(batch, tmp_path, rules)
    assert list(subs) == ["上海某科技有限公司"]
    s = subs["上海某科技有限公司"]
    assert s.origin == "folder"
    assert sorted(files_of(s)) == ["备注.txt", "附件/扫描件/承诺书.pdf", "附件1.docx"]
    assert all(f.problem is None and f.real_path.is_file() for f in s.files)


def test_zip_with_gbk_names_without_utf8_flag(batch, tmp_path, rules):
    data = gbk_zip([("申报材料/附件1 需求征集表.docx", b"PK-form"), ("申报材料/附件2 承诺书.pdf", b"%PDF-letter")])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert all(not (i.flag_bits & 0x800) for i in zf.infolist())
        assert zf.infolist()[0].filename != "申报材料/附件1 需求征集表.docx"  # zipfile alone gets it wrong
    (batch / "某医院.zip").write_bytes(data)
    subs, work = discover(batch, tmp_path, rules)
    s = subs["某医院"]
    assert s.origin == "zip" and s.source_name == "某医院.zip"
    got = files_of(s)
    assert sorted(got) == ["申报材料/附件1 需求征集表.docx", "申报材料/附件2 承诺书.pdf"]
    assert got["申报材料/附件1 需求征集表.docx"].real_path.read_bytes() == b"PK-form"
    assert work in got["申报材料/附件2 承诺书.pdf"].real_path.parents


def test_zip_member_name_decoding():
    info = zipfile.ZipInfo("x")
    info.filename = "附件1.docx"
    info.flag_bits = 0x800
    assert zip_member_name(info) == "附件1.docx"
    legacy = zipfile.ZipInfo("x")
    legacy.filename = "附件1.docx".encode("gbk").decode("cp437")
    assert zip_member_name(legacy) == "附件1.docx"


def test_loose_files_and_stray_files(batch, tmp_path, rules):
    (batch / "需求征集表.docx").write_bytes(b"PK")
    (batch / "承诺书.pdf").write_bytes(b"%PDF-")
    (batch / "readme.txt").write_text("x", "utf-8")
    (batch / "Thumbs.db").write_bytes(b"x")
    subs, _ = discover(batch, tmp_path, rules)
    assert sorted(subs) == ["readme", "承诺书", "需求征集表"]
    assert all(s.origin == "loose" and len(s.files) == 1 for s in subs.values())


def test_zip_slip_members_are_refused_and_nothing_escapes(batch, tmp_path, rules):
    (batch / "evil.zip").write_bytes(_zip_bytes([
        ("../../escaped.docx", b"PK"), ("/tmp/abs.docx", b"PK"), ("..\\win.docx", b"PK"),
        ("C:\\drive.docx", b"PK"), ("fine/附件1.docx", b"PK"),
    ]))
    before = set(tmp_path.rglob("*"))
    subs, work = discover(batch, tmp_path, rules)
    s = subs["evil"]
    refused = [f for f in s.files if f.problem]
    assert len(refused) == 4
    assert all(f.problem.rule == "FILE_UNREADABLE" and "路径穿越" in f.problem.reason for f in refused)
    assert files_of(s)["fine/附件1.docx"].problem is None
    created = set(tmp_path.rglob("*")) - before
    assert created and all(p == work or work in p.parents for p in created)
    assert not (tmp_path / "escaped.docx").exists() and not Path("/tmp/abs.docx").exists()


def test_nested_zips_beyond_the_depth_limit(batch, tmp_path, rules):
    inner = _zip_bytes([("附件1.docx", b"PK")])
    middle = _zip_bytes([("inner.zip", inner), ("附件2.pdf", b"%PDF-")])
    (batch / "nested.zip").write_bytes(_zip_bytes([("middle.zip", middle)]))
    s = discover(batch, tmp_path, rules)[0]["nested"]
    got = files_of(s)
    assert got["middle.zip/附件2.pdf"].problem is None
    assert got["middle.zip/inner.zip"].problem.rule == "FILE_UNSUPPORTED"
    assert "嵌套" in got["middle.zip/inner.zip"].problem.reason
    deeper = discover(batch, tmp_path / "d3", rules, dataclasses.replace(Limits(), max_zip_depth=3))[0]["nested"]
    assert files_of(deeper)["middle.zip/inner.zip/附件1.docx"].problem is None


def test_symlinks_and_special_files_are_listed_not_followed(batch, tmp_path, rules):
    secret = tmp_path / "secret.docx"
    secret.write_bytes(b"PK")
    sub = batch / "A"
    sub.mkdir()
    (sub / "link.docx").symlink_to(secret)
    (sub / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(sub / "pipe.pdf")
    (batch / "toplink.docx").symlink_to(secret)
    info = zipfile.ZipInfo("附件1.docx")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    (batch / "z.zip").write_bytes(_zip_bytes([(info, b"/etc/passwd")]))
    subs, _ = discover(batch, tmp_path, rules)
    got = files_of(subs["A"])
    assert got["link.docx"].problem.rule == "FILE_UNSUPPORTED" and got["link.docx"].real_path is None
    assert got["dirlink"].problem.rule == "FILE_UNSUPPORTED"
    assert "不是普通文件" in got["pipe.pdf"].problem.reason
    assert subs["toplink"].files[0].problem.rule == "FILE_UNSUPPORTED"
    assert "符号链接" in files_of(subs["z"])["附件1.docx"].problem.reason


def test_member_count_size_and_ratio_limits(batch, tmp_path, rules):
    (batch / "many.zip").write_bytes(_zip_bytes([(f"f{i}.pdf", b"%PDF-") for i in range(30)]))
    (batch / "bomb.zip").write_bytes(_zip_bytes([("申报书.pdf", b"\0" * (12 * 2**20))]))
    (batch / "big.zip").write_bytes(_zip_bytes([("a.pdf", os.urandom(2 * 2**20)), ("b.pdf", os.urandom(2 * 2**20))]))
    limits = dataclasses.replace(Limits(), max_zip_members=20, max_zip_total_mb=3)
    subs, _ = discover(batch, tmp_path, rules, limits)
    [many] = subs["many"].files
    assert "文件数 30 超过上限 20" in many.problem.reason
    [big] = subs["big"].files
    assert "超过上限 3 MB" in big.problem.reason
    [bomb] = discover(batch, tmp_path / "defaults", rules)[0]["bomb"].files
    assert "压缩比" in bomb.problem.reason and "疑似压缩炸弹" in bomb.problem.reason


def test_encrypted_and_corrupt_zips(batch, tmp_path, rules):
    (batch / "locked.zip").write_bytes(set_encrypted_flag(_zip_bytes([("secret.pdf", b"%PDF-x")]), "secret.pdf"))
    (batch / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    subs, _ = discover(batch, tmp_path, rules)
    assert subs["locked"].files[0].problem.rule == "FILE_ENCRYPTED"
    assert subs["broken"].files[0].problem.rule == "FILE_UNREADABLE"
    assert "压缩包损坏" in subs["broken"].files[0].problem.reason


def test_hostile_names_become_safe_ids_and_visible_paths(batch, tmp_path, rules):
    (batch / "a\x07b\u202eexcod.docx").write_bytes(b"PK")
    (batch / ("长" * 80)).mkdir()
    (batch / ("长" * 80) / "x.pdf").write_bytes(b"%PDF-")
    (batch / "CON.zip").write_bytes(_zip_bytes([("长" * 300 + ".docx", b"PK"), ("a\x1b[31m.pdf", b"%PDF-")]))
    subs, _ = discover(batch, tmp_path, rules)
    for sid in subs:
        assert sid == sanitize_name(sid) and len(sid) <= 80
        assert not any(c in sid for c in "\x07\x1b\u202e/\\")
    loose = next(s for s in subs.values() if s.origin == "loose")
    assert loose.files[0].rel_path == "a\\u0007b\\u202eexcod.docx"
    con = next(s for s in subs.values() if s.origin == "zip")
    assert con.submission_id == "_CON"
    assert "a\\u001b[31m.pdf" in files_of(con)
    assert any(len(p) > 300 for p in files_of(con))


def test_non_utf8_folder_name_from_windows_is_decoded(batch, tmp_path, rules):
    raw = os.fsencode(batch) + b"/" + "某大学".encode("gbk")
    os.mkdir(raw)
    with open(raw + b"/" + "附件1.docx".encode("gbk"), "wb") as fh:
        fh.write(b"PK")
    subs, _ = discover(batch, tmp_path, rules)
    assert list(subs) == ["某大学"]
    assert [f.rel_path for f in subs["某大学"].files] == ["附件1.docx"]


def test_visible_escapes_controls_only():
    assert visible("普通 name.docx") == "普通 name.docx"
    assert visible("a\u202eb\x00") == "a\\u202eb\\u0000"


def test_empty_folder_exits_2_with_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    res = CliRunner().invoke(main, ["run", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1 and "为空" in res.output


def test_folder_with_only_clutter_exits_2_with_one_line(tmp_path):
    b = tmp_path / "b"
    b.mkdir()
    (b / ".DS_Store").write_bytes(b"x")
    (b / "__MACOSX").mkdir()
    res = CliRunner().invoke(main, ["run", str(b), "--out", str(tmp_path / "o"), "--no-cache"])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1 and "没有可检查的文件" in res.output
    assert not (tmp_path / "o" / "results.json").exists()


def _corrupt_member(data: bytes, payload: bytes) -> bytes:
    """A zip whose member's stored bytes are damaged (the CRC no longer matches)."""
    pos = data.index(payload)
    return data[:pos] + bytes([payload[0] ^ 0xFF]) + data[pos + 1:]


def test_lazy_discovery_lists_like_eager_and_unpacks_on_demand(batch, tmp_path, rules):
    """Lazy discovery lists the same files with the same problems and writes nothing; `materialize`
    then unpacks a member to the same bytes, and a member whose data is damaged gets its finding."""
    docx = (SAMPLE_SUB / "附件1-需求征集表.docx").read_bytes()
    stored = b"plain text kept as is " * 20
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("表格/附件1.docx"), docx, zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo("备注.txt"), stored, zipfile.ZIP_STORED)
        zf.writestr("../escape.pdf", b"%PDF-1.4")
        zf.writestr("inner.zip", _zip_bytes([("附件2.docx", docx)]))
    (batch / "申报.zip").write_bytes(_corrupt_member(buf.getvalue(), stored))
    eager, _ = discover(batch, tmp_path / "e", rules)
    work = tmp_path / "lazy"
    lazy = {s.submission_id: s for s in Discoverer(rules, work, lazy=True).discover(batch)}

    def listing(subs):
        return {sid: [(f.rel_path, f.size, f.problem and f.problem.rule) for f in s.files] for sid, s in subs.items()}

    expected = listing(eager)  # eager found the damage while unpacking; lazy finds it when asked to
    expected["申报"] = [(p, size, None if p == "备注.txt" else rule) for p, size, rule in expected["申报"]]
    assert listing(lazy) == expected
    assert {f.rel_path for f in lazy["申报"].files if f.pending} == {"表格/附件1.docx", "备注.txt", "inner.zip/附件2.docx"}
    assert [p.suffix for p in work.rglob("*") if p.is_file()] == [".zip"]  # only the nested zip
    files = files_of(lazy["申报"])
    Discoverer.materialize(files["表格/附件1.docx"])
    assert files["表格/附件1.docx"].real_path.read_bytes() == docx
    assert work in files["表格/附件1.docx"].real_path.parents
    damaged = files["备注.txt"]
    Discoverer.materialize(damaged)
    assert damaged.real_path is None and damaged.problem.rule == "FILE_UNREADABLE"
    assert files_of(eager["申报"])["备注.txt"].problem.reason == damaged.problem.reason
    Discoverer.materialize(files["inner.zip/附件2.docx"])
    assert files["inner.zip/附件2.docx"].real_path.read_bytes() == docx
