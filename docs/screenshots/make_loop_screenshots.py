"""Screenshots of the review loop for the README: `python docs/screenshots/make_loop_screenshots.py`.

Runs the loop on the samples in a temporary folder, as the README describes it: a run with a
decisions file, a second run of a copy with two submissions fixed and one broken, `compare`, and
a notice (converted to PDF by LibreOffice when it is installed). Saves small palette PNGs here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
from make_screenshots import ARGS, save_small  # noqa: E402

YUNYOU = "上海云游天下旅游发展有限公司-一江一河虚实融合智慧游览线路"
DECISIONS = f'''
[[decision]]
submission = "{YUNYOU}"
rule = "DIRECTION_NONE"
action = "dismiss"
note = "申报单位已书面确认方向为元宇宙+智慧旅游"
by = "张三"

[[decision]]
submission = "{YUNYOU}"
rule = "EMAIL_INVALID"
field = "contact_email"
action = "confirm"
note = "邮箱确有笔误，已通知更正"
by = "张三"

[[decision]]
submission = "上海瑞影医疗科技有限公司-智能分诊医疗数字人"
rule = "SEAL_MISSING"
action = "dismiss"
note = "上一批的意见"
by = "王五"
'''


def pipeline(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pipeline", *args, "--quiet"] if args[0] == "run" else
                   [sys.executable, "-m", "pipeline", *args], check=True, cwd=REPO)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / "decisions.toml").write_text(DECISIONS, "utf-8")
        cache = str(t / "cache")
        pipeline("run", "samples/batch", "--out", str(t / "out"), "--no-ocr", "--cache-dir", cache,
                 "--decisions", str(t / "decisions.toml"))
        batch = t / "batch2"
        shutil.copytree(REPO / "samples" / "batch", batch)
        weishu = batch / "上海卫数信息技术有限公司-传染病监测预警元宇宙可视化平台"
        (weishu / "补充材料.pdf").unlink()
        (weishu / "附件1-需求征集表（备份）.docx").unlink()
        (batch / "上海臻图智造科技有限公司-白车身焊装产线数字孪生" / "附件2-建设承诺书.docx").unlink()
        pipeline("run", str(batch), "--out", str(t / "out2"), "--no-ocr", "--cache-dir", cache)
        pipeline("compare", str(t / "out"), str(t / "out2"), "--out", str(t / "changes"))
        notice = next((t / "out" / "notices").glob("上海市西郊康复医院*.docx"))
        pdf = None
        if shutil.which("soffice"):
            subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(t), str(notice)],
                           check=True, capture_output=True)
            pdf = t / (notice.stem + ".pdf")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto((t / "out" / "index.html").as_uri() + "#decisions")
            page.locator("#decisions").scroll_into_view_if_needed()
            save_small(page.locator("#decisions").screenshot(), HERE / "loop-index-decisions.png")
            page.goto(next((t / "out" / "reports").glob(f"{YUNYOU}*.html")).as_uri())
            save_small(page.locator("#findings").screenshot(), HERE / "loop-report-decisions.png")
            page.goto((t / "changes" / "changes.html").as_uri())
            save_small(page.screenshot(), HERE / "loop-changes.png")
            browser.close()
        if pdf is not None and shutil.which("pdftoppm"):
            subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf), str(t / "notice")], check=True)
            save_small((t / "notice.png").read_bytes(), HERE / "loop-notice.png")
    print("loop-*.png written to", HERE)


if __name__ == "__main__":
    main()
