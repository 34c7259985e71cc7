"""Make the README's pictures from a demo run and `adloc preview`.

Run from the repository root after `make demo`: `.venv/bin/python docs/pictures.py`. It writes
docs/demo-output.png (approved squares in four scripts, a Japanese banner and a French banner
waiting for review), docs/preview-scripts.png (lines in Japanese with an emoji, Thai and Hebrew
opening with a Latin name, set by `adloc preview` in the sample templates) and docs/portrait.png
(the sample catalog's photographed talent, a JPEG with its studio backdrop, and what
examples/jobs/portrait.yaml makes of it, run into out/portrait with the demo's database)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "out" / "demo"
HEIGHT, GAP, GROUND = 360, 20, (244, 244, 244)


def sheet(rows: list[list[Path]], out: Path) -> None:
    """Each row's images scaled to HEIGHT px, centred on a light ground with GAP px between."""
    scaled = [[_scaled(path) for path in row] for row in rows]
    widths = [sum(t.width for t in row) + GAP * (len(row) + 1) for row in scaled]
    canvas = Image.new("RGB", (max(widths), len(rows) * (HEIGHT + GAP) + GAP), GROUND)
    for i, (row, width) in enumerate(zip(scaled, widths)):
        x = (canvas.width - width) // 2 + GAP
        for tile in row:
            canvas.paste(tile, (x, GAP + i * (HEIGHT + GAP)))
            x += tile.width + GAP
    canvas.save(out, optimize=True)
    print(f"wrote {out} ({canvas.width}x{canvas.height})")


def _scaled(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image = image.convert("RGB")
        return image.resize((round(image.width * HEIGHT / image.height), HEIGHT), Image.Resampling.LANCZOS)


PREVIEWS = [
    ("summer-banner", "ja-JP", "今だけ Acme コーヒー 30% オフ 🎉", "今週だけ ￥350"),
    ("summer-banner", "th-TH", "กาแฟเย็นสดชื่นทุกวันที่ร้าน Acme", "เพียง ฿89 สัปดาห์นี้"),
    ("summer-banner", "he-IL", "Air 5 Pro במבצע (עד 30%) 👍🏽", "רק 9.90 ₪ השבוע"),
]


def main() -> None:
    square = DEMO / "approved" / "morning-hero" / "morning-square"
    sheet([[square / f"{locale}.png" for locale in ("de-DE", "ar-AE", "ja-JP", "he-IL")],
           [DEMO / "approved" / "afternoon-break" / "summer-banner" / "ja-JP.png",
            DEMO / "review" / "afternoon-break" / "summer-banner" / "fr-FR.png"]], ROOT / "docs" / "demo-output.png")
    adloc = Path(sys.executable).with_name("adloc")
    with tempfile.TemporaryDirectory() as folder:
        shots = []
        for template, locale, headline, cta in PREVIEWS:
            shots.append(Path(folder) / f"{locale}.png")
            subprocess.run([str(adloc), "preview", "--template", template, "--locale", locale, "--copy",
                            f"headline={headline}", "--copy", f"cta={cta}", "--out", str(shots[-1])],
                           check=True, stdout=subprocess.DEVNULL)
        sheet([shots[:2], shots[2:]], ROOT / "docs" / "preview-scripts.png")
    portrait = ROOT / "out" / "portrait"
    subprocess.run([str(adloc), "run", str(ROOT / "examples" / "jobs" / "portrait.yaml"), "--out", str(portrait)],
                   check=True, stdout=subprocess.DEVNULL)
    square = next(portrait.glob("*/morning-hero/morning-square/pt-PT.png"))
    banner = next(portrait.glob("*/afternoon-break/summer-banner/pt-PT.png"))
    sheet([[ROOT / "examples" / "talent" / "us-eileen.jpg", square], [banner]], ROOT / "docs" / "portrait.png")


if __name__ == "__main__":
    main()
