"""Talent photographs without alpha: the matte made at import (the person segmenter on a real
photograph), what the import stores and records, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from adloc.cli import main
from adloc.errors import MatteError

RIGHTS = [{"regions": ["PT"], "channels": ["social"], "consent": ["2026-01-01", "2030-12-31"]}]


def astronaut() -> np.ndarray:
    """NASA's portrait of Eileen Collins (public domain), as scikit-image ships it: 512x512 RGB, a
    flag on the left and a model rocket on the right behind her."""
    from skimage import data

    return data.astronaut()


def talent_file(folder: Path, photos: dict[str, np.ndarray]) -> Path:
    for name, rgb in photos.items():
        Image.fromarray(rgb).save(folder / f"{name}.jpg", quality=92)
    path = folder / "talent.yaml"
    path.write_text(yaml.safe_dump({"talent": [
        {"id": f"pt-{name}", "name": name, "region": "PT", "image": f"{name}.jpg", "tags": ["studio"], "rights": RIGHTS}
        for name in photos]}))
    return path


class HalfMatter:
    """A fake matter: the photo's left half is the person; a photo named 'crowd' is refused."""

    model_id = "fake-matter-v1"

    def __call__(self, rgb: np.ndarray, where: str) -> np.ndarray:
        if "crowd" in where:
            raise MatteError(f"{where}: the matte holds 3 people")
        alpha = np.zeros(rgb.shape[:2], np.uint8)
        alpha[:, : rgb.shape[1] // 2] = 255
        return alpha


def test_a_photo_without_alpha_gets_a_matte_stored_beside_it_and_recorded(db, tmp_path, asset_store):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from adloc.assets_db.catalog import import_talent
    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.lineage import list_talent
    from adloc.assets_db.schema import TalentImageRow

    photo = np.full((80, 60, 3), 120, np.uint8)
    path = talent_file(tmp_path, {"ana": photo, "crowd": photo})
    refused: list[str] = []
    assert import_talent(engine_for(db), path, refused=refused, matter=HalfMatter()) == 1  # the rest goes on
    assert refused == [f"{path}: talent[1].image: {tmp_path / 'crowd.jpg'}: the matte holds 3 people"]
    with Session(engine_for(db)) as session:
        [row] = session.scalars(select(TalentImageRow)).all()
    assert (row.talent_id, row.has_alpha, row.matte_model) == ("pt-ana", False, "fake-matter-v1")
    assert row.matte_uri.startswith(str(asset_store)) and row.matte_sha256 in row.matte_uri
    with Image.open(row.matte_uri) as matte:
        assert matte.mode == "L" and matte.size == (60, 80)
        assert np.asarray(matte)[:, :30].min() == 255 and np.asarray(matte)[:, 30:].max() == 0
    [listed] = list_talent(engine_for(db))
    assert listed["cutout"] == "matte" and listed["matte"] == {
        "uri": row.matte_uri, "sha256": row.matte_sha256, "model": "fake-matter-v1"}
    # Without a list to report refusals in, the file is refused whole, each photo named.
    with pytest.raises(Exception, match="crowd.jpg: the matte holds 3 people"):
        import_talent(engine_for(db), path, matter=HalfMatter())


def test_the_pipeline_draws_the_photo_through_its_matte(tmp_path):
    from adloc.pipelines.image import talent_image
    from adloc.records import Talent

    photo, matte = tmp_path / "p.png", tmp_path / "m.png"
    Image.fromarray(np.full((8, 6, 3), 200, np.uint8)).save(photo)
    alpha = np.zeros((8, 6), np.uint8)
    alpha[2:, 1:5] = 255
    Image.fromarray(alpha, "L").save(matte)
    image = talent_image(Talent("pt-x", "X", "PT", str(photo), matte_uri=str(matte)))
    assert image.mode == "RGBA" and np.array_equal(np.asarray(image)[..., 3], alpha)
    assert talent_image(Talent("pt-x", "X", "PT", str(photo))).mode == "RGB"  # no matte: as stored


@pytest.mark.slow
def test_the_matte_of_a_real_portrait_holds_the_person_and_not_the_backdrop():
    from adloc.models.matte import matte

    rgb = astronaut()
    alpha = matte(rgb, "astronaut.png")
    assert alpha.shape == (512, 512) and alpha.dtype == np.uint8
    assert alpha[80:150, 190:250].min() >= 230 and alpha[80:150, 190:250].mean() >= 250  # her face
    assert alpha[300:420, 120:220].min() >= 250  # the orange suit
    assert alpha[0:60, 420:512].max() <= 5  # the backdrop, top right
    assert alpha[120:200, 380:440].mean() < 20  # the model rocket behind her
    soft = float(((alpha > 5) & (alpha < 250)).mean())
    assert 0.01 < soft < 0.2  # edges ramp: neither a hard cut nor a blur
    assert np.array_equal(alpha, matte(rgb, "astronaut.png"))  # the same bits every time


@pytest.mark.slow
@pytest.mark.parametrize("photo, message", [
    (lambda: np.concatenate([astronaut(), astronaut()], axis=1), "the matte holds 2 people"),
    (lambda: np.full((400, 300, 3), (70, 90, 140), np.uint8), "no person found"),
])
def test_a_matte_that_cannot_be_trusted_is_refused(photo, message):
    from adloc.models.matte import matte

    with pytest.raises(MatteError, match=message):
        matte(photo(), "photo.jpg")


@pytest.mark.slow
def test_importing_a_portrait_jpeg_and_running_it_gives_a_cutout_not_a_box(tmp_path, catalog_db, capsys,
                                                                          fake_copy_model):
    """The user's case: a portrait JPEG imported for PT, a one-item pt-PT job on morning-square.
    The matte comes at import; the composite shows the person on the template, not the studio."""
    from conftest import write_job

    path = talent_file(tmp_path, {"eileen": astronaut(), "crowd": np.concatenate([astronaut(), astronaut()], 1)})
    assert main(["assets", "import", str(path), "--db", catalog_db]) == 1  # one photo refused, exit 1
    out, err = capsys.readouterr()
    assert "imported 1 talent" in out and "crowd.jpg: the matte holds 2 people" in err
    assert main(["assets", "list", "--db", catalog_db, "--json"]) == 0
    eileen = next(t for t in json.loads(capsys.readouterr().out) if t["id"] == "pt-eileen")
    assert eileen["cutout"] == "matte" and eileen["matte"]["model"].startswith("mediapipe-selfie-segmentation")
    spec = {"job": "photo", "brand": "Acme Coffee", "channel": "social", "locales": ["pt-PT"],
            "creatives": [{"id": "hero", "template": "morning-square", "talent": {"tags": ["studio"]},
                           "copy": {"headline": "Start your morning with Acme coffee", "cta": "Order now for {price}"},
                           "values": {"price": 2.49}}]}
    out_dir = tmp_path / "out"
    assert main(["run", str(write_job(tmp_path / "job.yaml", spec)), "--out", str(out_dir), "--db", catalog_db,
                 "--run-date", "2026-11-27"]) == 0
    [line] = [json.loads(x) for x in (out_dir / "manifest.jsonl").read_text().splitlines()]
    record = json.loads(Path(line["uri"]).with_suffix(".json").read_text())
    checks = {c["name"]: c for c in record["image"]["checks"]}
    assert line["talent"] == "pt-eileen" and checks["talent_cutout"]["passed"], checks["talent_cutout"]
    assert line["status"] == "approved"
    layout = {c["name"]: c for c in record["layout"]}
    assert layout["face_clear"]["passed"] and "is clear of the text and the crop" in layout["face_clear"]["detail"]
    # The backdrop's top corners do not reach the ad: there the template shows, not the photo's grey.
    template = np.asarray(Image.open(Path(__file__).parents[1] / "examples" / "templates" / "morning-square.png")
                          .convert("RGB")).astype(int)
    output = np.asarray(Image.open(line["uri"]).convert("RGB")).astype(int)
    from adloc.template import load_template_spec

    spec_ = load_template_spec(Path(__file__).parents[1] / "examples" / "templates" / "morning-square.yaml")
    x, y, w, h = spec_.talent_slot.box
    side = min(w, h)  # the square photo fitted into the slot, bottom-anchored and centred
    left, top = x + (w - side) // 2, y + h - side
    for cx, cy in ((left + 10, top + 10), (left + side - 10, top + 10)):
        assert np.abs(output[cy, cx] - template[cy, cx]).max() <= 2, (cx, cy)


def test_decontamination_takes_the_old_backdrop_out_of_the_soft_edge():
    """A red disc shot on a light studio wall, its edge a ramp I = aF + (1 - a)B: the soft pixels
    get the disc's own red back, the solid ones are untouched."""
    from adloc.models.matte import SOLID, decontaminate

    yy, xx = np.mgrid[0:64, 0:64]
    distance = np.hypot(yy - 32, xx - 32)
    alpha = np.rint(np.clip((24 - distance) / 8, 0, 1) * 255).astype(np.uint8)  # solid inside r 16, clear past 24
    red, wall = np.array([200, 30, 40], float), np.array([235, 235, 225], float)
    a = alpha[..., None] / 255.0
    photo = np.rint(a * red + (1 - a) * wall).astype(np.uint8)
    clean = decontaminate(photo, alpha)
    soft = (alpha > 13) & (alpha < SOLID)
    assert soft.sum() > 100
    assert np.abs(photo[soft].astype(int) - red).max() > 100  # the wall shows through the edge as taken
    assert np.abs(clean[soft].astype(int) - red).max() <= 4  # and is gone from it
    assert np.array_equal(clean[alpha >= SOLID], photo[alpha >= SOLID])
    assert np.array_equal(decontaminate(photo, np.full_like(alpha, 255)), photo)  # a solid cutout: as it is


@pytest.mark.slow
def test_the_astronaut_s_edge_carries_no_studio_grey_onto_a_dark_template():
    """Composited on a dark template, the soft edge of her matte is nearer her own colours than the
    backdrop's light grey once the backdrop is taken out (and was not before)."""
    from adloc.models.matte import CLEAR, SOLID, decontaminate, matte

    rgb = astronaut()
    alpha = matte(rgb, "astronaut.png")
    backdrop = rgb[alpha <= CLEAR].reshape(-1, 3).astype(float)
    soft = (alpha > 64) & (alpha < SOLID)  # the outer half of the edge is where a halo shows
    a = alpha[..., None] / 255.0
    dark = np.array([30, 20, 15], float)

    def lightness(colours: np.ndarray) -> float:
        composite = a * colours + (1 - a) * dark
        return float(composite[soft].mean())

    assert backdrop.mean() > 120  # the wall is light
    before, after = lightness(rgb.astype(float)), lightness(decontaminate(rgb, alpha).astype(float))
    assert after < before - 5, (before, after)  # the light rim is gone (measured: 86.1 before, 79.7 after)
