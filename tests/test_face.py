"""The talent's face kept clear: found at import (OpenCV's frontal-face cascade), recorded with what
found it, carried to the layout as placed, and the face check that fails text, a scrim or a logo
over it and a crop through it."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
import yaml
from PIL import Image

from adloc.checks.layout import check_face_clear
from adloc.cli import main
from adloc.pipelines.render import render
from adloc.records import KeepClear, TextSlot

FACE = (100, 40, 60, 60)  # x, y, width, height in template pixels
FRAME = (50, 0, 200, 300)  # the photo as placed


def astronaut() -> np.ndarray:
    """NASA's portrait of Eileen Collins (public domain) as scikit-image ships it, 512x512 RGB."""
    from skimage import data

    return data.astronaut()


@pytest.mark.parametrize("covers, frame, passed, words", [
    ({}, FRAME, True, "is clear of the text and the crop"),
    ({"the headline text": (0, 200, 300, 60)}, FRAME, True, "is clear"),  # text below the face
    ({"the headline text": (110, 90, 200, 40)}, FRAME, False, "the headline text covers the talent's face"),
    ({"the logo": (150, 30, 40, 40)}, FRAME, False, "the logo covers"),
    ({"the cta text": (0, 40, 101, 20)}, FRAME, True, "is clear"),  # a block's margin grazing 1 px column
    ({}, (120, 0, 200, 300), False, "the crop cuts through the talent's face"),  # the photo's left edge
    ({}, (50, 60, 200, 300), False, "the crop cuts through"),  # the top edge
])
def test_the_face_check_fails_what_covers_or_cuts_the_face(covers, frame, passed, words):
    result = check_face_clear(FACE, covers, frame)
    assert result.passed is passed and words in result.detail, result.detail
    assert result.severity.value == "functional"


def test_a_talent_without_a_found_face_passes_and_says_so():
    result = check_face_clear(None, {"the headline text": (0, 0, 999, 999)}, FRAME)
    assert result.passed and "no face found" in result.detail


SLOT = TextSlot(name="headline", box=(10, 10, 300, 60), min_size=20, max_size=40)


def test_render_checks_the_face_against_each_text_block_and_the_logo():
    picture = np.full((320, 320, 3), 40, np.uint8)
    # The face under the headline's block: the check fails and names the slot.
    _, checks = render(picture, {"headline": "Start your morning"}, (SLOT,), "en-US",
                       KeepClear(face=(30, 20, 60, 40), frame=(0, 0, 320, 320)))
    face = {c.name: c for c in checks}["face_clear"]
    assert not face.passed and "the headline text" in face.detail
    # The face lower down, clear of the text, but under the logo.
    _, checks = render(picture, {"headline": "Start your morning"}, (SLOT,), "en-US",
                       KeepClear(face=(100, 150, 60, 60), frame=(0, 0, 320, 320), logo=(120, 160, 40, 40)))
    assert not {c.name: c for c in checks}["face_clear"].passed
    _, checks = render(picture, {"headline": "Start your morning"}, (SLOT,), "en-US",
                       KeepClear(face=(100, 150, 60, 60), frame=(0, 0, 320, 320), logo=(250, 250, 40, 40)))
    assert {c.name: c for c in checks}["face_clear"].passed
    # Without talent (nothing to keep clear) there is no face check.
    _, checks = render(picture, {"headline": "Start your morning"}, (SLOT,), "en-US")
    assert "face_clear" not in {c.name for c in checks}


def test_the_face_is_carried_to_template_pixels_as_the_talent_is_placed():
    from adloc.pipelines.image import placed_face, placement
    from adloc.records import Talent, TalentSlot, Template

    template = Template(id="t", image_uri="t.png", width=400, height=300,
                        talent_slot=TalentSlot(box=(200, 0, 200, 300)), text_slots=())
    photo = (100, 200)  # width, height: fitted to 150 x 300, centred, bottom-anchored
    assert placement(template, photo) == (1.5, 225, 0, (150, 300))
    talent = Talent("pt-x", "X", "PT", "x.png", face=(20, 30, 40, 50))
    assert placed_face(template, talent, photo) == (225 + 30, 45, 60, 75)
    assert placed_face(template, Talent("pt-x", "X", "PT", "x.png"), photo) is None


class FixedFaces:
    """A fake face finder: a face at the photo's upper middle, none in a photo that is all one colour."""

    model_id = "fake-faces-v1"

    def __call__(self, rgba):
        if rgba[..., :3].min() == rgba[..., :3].max():
            return None
        h, w = rgba.shape[:2]
        return (w // 4, h // 8, w // 2, h // 3)


def test_import_records_each_photo_s_face_and_what_found_it(db, tmp_path, asset_store):
    from adloc.assets_db.catalog import import_talent
    from adloc.assets_db.engine import engine_for
    from adloc.assets_db.lineage import list_talent
    from adloc.assets_db.queries import eligible_talent

    rights = [{"regions": ["PT"], "channels": ["social"], "consent": ["2026-01-01", "2030-12-31"]}]
    busy = np.zeros((80, 60, 4), np.uint8)
    busy[..., 3] = 255
    busy[20:60, 10:50, :3] = 200
    Image.fromarray(busy).save(tmp_path / "ana.png")
    Image.fromarray(np.full((80, 60, 4), 90, np.uint8)).save(tmp_path / "rui.png")
    path = tmp_path / "talent.yaml"
    path.write_text(yaml.safe_dump({"talent": [
        {"id": f"pt-{n}", "name": n, "region": "PT", "image": f"{n}.png", "tags": ["t"], "rights": rights}
        for n in ("ana", "rui")]}))
    assert import_talent(engine_for(db), path, faces=FixedFaces()) == 2
    listed = {t["id"]: t for t in list_talent(engine_for(db))}
    assert listed["pt-ana"]["face"] == {"box": [15, 10, 30, 26], "model": "fake-faces-v1"}
    assert listed["pt-rui"]["face"] is None
    found = {t.id: t for t in eligible_talent(engine_for(db), {"PT"}, "social", date(2026, 11, 30))["PT"]}
    assert found["pt-ana"].face == (15, 10, 30, 26) and found["pt-rui"].face is None


@pytest.mark.slow
def test_the_cascade_finds_the_astronaut_s_face_and_none_in_a_plain_photo():
    from adloc.models.face import FaceFinder, find_face, model_id

    x, y, w, h = find_face(astronaut())
    # Her face spans about x 180-270, y 65-160 of the 512 px portrait.
    assert 165 <= x <= 195 and 55 <= y <= 80 and 80 <= w <= 110 and 80 <= h <= 110, (x, y, w, h)
    assert find_face(astronaut()) == (x, y, w, h)  # the same box every time
    assert find_face(np.full((300, 200, 3), (70, 90, 140), np.uint8)) is None
    # A cutout is seen on mid grey: her face is found through its alpha too.
    rgba = np.dstack([astronaut(), np.full((512, 512), 255, np.uint8)])
    assert find_face(rgba) == (x, y, w, h)
    assert FaceFinder().model_id == model_id() and model_id().startswith("opencv-haarcascade_frontalface_default@")


@pytest.mark.slow
def test_assets_import_finds_the_face_of_a_portrait_and_lists_it(tmp_path, capsys, asset_store):
    Image.fromarray(astronaut()).save(tmp_path / "eileen.jpg", quality=92)
    path = tmp_path / "talent.yaml"
    path.write_text(yaml.safe_dump({"talent": [{
        "id": "pt-eileen", "name": "Eileen", "region": "PT", "image": "eileen.jpg", "tags": ["photo"],
        "rights": [{"regions": ["PT"], "channels": ["social"], "consent": ["2026-01-01", "2030-12-31"]}]}]}))
    url = f"sqlite:///{tmp_path / 'assets.db'}"
    assert main(["assets", "import", str(path), "--db", url]) == 0
    capsys.readouterr()
    assert main(["assets", "list", "--db", url, "--json"]) == 0
    [eileen] = json.loads(capsys.readouterr().out)
    x, y, w, h = eileen["face"]["box"]
    assert 165 <= x <= 195 and 80 <= w <= 110 and eileen["face"]["model"].startswith("opencv-haarcascade")
    assert main(["assets", "list", "--db", url]) == 0
    assert f"face {x},{y},{w},{h}" in capsys.readouterr().out
