"""Templates: the YAML's fields, and the mirrored layout right-to-left locales get."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import EXAMPLES

from adloc.pipelines.image import template_image
from adloc.template import for_locale, load_template_spec, to_record

SPEC = EXAMPLES / "templates" / "summer-banner.yaml"


def template(tmp_path, **changes):
    data = yaml.safe_load(SPEC.read_text())
    data.update({"mirror_for_rtl": False, "mirror_image": False, **changes})
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    return to_record(load_template_spec(path), str(EXAMPLES / "templates" / data["image"]))


def test_a_mirrored_layout_moves_every_box_to_the_other_side(tmp_path):
    plain = template(tmp_path, mirror_for_rtl=True, mirror_image=True, fill=[[10, 20, 30, 40]], logo=[5, 6, 70, 30])
    mirrored = for_locale(plain, "he-IL")
    assert mirrored.mirrored and not plain.mirrored
    width = plain.width
    for before, after in [(plain.talent_slot.box, mirrored.talent_slot.box), (plain.fill[0], mirrored.fill[0]),
                          (plain.logo, mirrored.logo),
                          *((a.box, b.box) for a, b in zip(plain.text_slots, mirrored.text_slots, strict=True))]:
        x, y, w, h = before
        assert after == (width - x - w, y, w, h)
    assert for_locale(plain, "ar-AE") == mirrored  # Arabic too
    assert for_locale(plain, "de-DE") is plain  # left-to-right locales keep the layout
    assert for_locale(template(tmp_path), "he-IL").mirrored is False  # only where the template asks


def test_places_in_a_picture_that_does_not_flip_stay_where_they_are(tmp_path):
    plain = template(tmp_path, mirror_for_rtl=True, fill=[[10, 20, 30, 40]], logo=[5, 6, 70, 30])
    mirrored = for_locale(plain, "ar-AE")
    assert mirrored.talent_slot.box != plain.talent_slot.box  # the layout mirrors ...
    assert (mirrored.fill, mirrored.logo) == (plain.fill, plain.logo)  # ... the picture's placeholder and logo do not


def test_compositing_and_fill_repair_are_read_and_checked(tmp_path):
    data = yaml.safe_load(SPEC.read_text())
    chosen = template(tmp_path, talent_slot={**data["talent_slot"], "compositing": "seamless"},
                      fill_repair="navier-stokes")
    assert (chosen.talent_slot.compositing, chosen.fill_repair) == ("seamless", "navier-stokes")
    assert (template(tmp_path).talent_slot.compositing, template(tmp_path).fill_repair) == ("feather", "telea")
    with pytest.raises(ValueError, match=r"talent_slot\.compositing: Input should be 'feather', 'seamless' or 'match'"):
        template(tmp_path, talent_slot={**data["talent_slot"], "compositing": "poisson"})
    with pytest.raises(ValueError, match=r"logo \[1100, 0, 200, 50\] is not inside"):
        template(tmp_path, logo=[1100, 0, 200, 50])


def test_the_picture_flips_only_where_the_template_says_it_may(tmp_path):
    flipped = for_locale(template(tmp_path, mirror_for_rtl=True, mirror_image=True), "ar-AE")
    kept = for_locale(template(tmp_path, mirror_for_rtl=True), "ar-AE")
    base = template_image(template(tmp_path))
    assert np.array_equal(template_image(flipped), base[:, ::-1])
    assert np.array_equal(template_image(kept), base)


def test_flipping_the_picture_without_mirroring_the_layout_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mirror_image flips the picture of a mirrored layout"):
        template(tmp_path, mirror_image=True)
