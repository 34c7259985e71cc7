"""Image normalization on import: whatever arrives is stored as an upright 8-bit sRGB PNG, alpha kept."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from adloc.assets_db.images import ImageError, normalize, put, store_uri


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def test_exif_orientation_is_applied():
    picture = Image.new("RGB", (40, 20), (200, 30, 30))
    picture.paste((30, 30, 200), (0, 0, 10, 20))  # a blue stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    result = normalize(encode(picture, "JPEG", exif=exif, quality=95), "photo.jpg")
    upright = decode(result.png)
    assert (result.width, result.height) == (20, 40) == upright.size
    r, _, b = upright.getpixel((10, 2))  # the stripe is now along the top
    assert b > 150 and r < 100
    assert "exif" not in upright.info


def test_cmyk_becomes_rgb():
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # pure red ink
    result = normalize(encode(cmyk, "JPEG", quality=95), "print.jpg")
    image = decode(result.png)
    assert image.mode == "RGB" and not result.has_alpha
    r, g, b = image.getpixel((4, 4))
    assert r > 200 and g < 60 and b < 60


def test_an_embedded_profile_is_converted_to_srgb():
    rgb = Image.new("RGB", (4, 4), (120, 60, 200))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = decode(normalize(encode(rgb), "a.png").png)
    tagged = decode(normalize(encode(rgb, icc_profile=srgb), "b.png").png)
    assert np.abs(np.asarray(plain, int) - np.asarray(tagged, int)).max() <= 1
    assert "icc_profile" not in tagged.info


def test_palette_with_transparency_keeps_its_alpha():
    palette = Image.new("P", (6, 6), 0)
    palette.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    palette.paste(1, (0, 0, 3, 6))
    result = normalize(encode(palette, transparency=0), "cutout.png")
    image = decode(result.png)
    assert image.mode == "RGBA" and result.has_alpha
    assert image.getpixel((1, 1)) == (0, 255, 0, 255)
    assert image.getpixel((5, 5))[3] == 0


def test_sixteen_bit_greyscale_is_scaled_to_eight_bit():
    values = np.array([[0, 257 * 128, 65535]], dtype=np.uint16)
    grey16 = Image.fromarray(values)  # mode I;16
    image = decode(normalize(encode(grey16), "scan.png").png)
    assert image.mode == "RGB"
    assert [image.getpixel((x, 0)) for x in range(3)] == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_greyscale_with_alpha_keeps_the_matte():
    la = Image.new("LA", (4, 4), (90, 255))
    la.putpixel((0, 0), (90, 0))
    image = decode(normalize(encode(la), "matte.png").png)
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0 and image.getpixel((3, 3)) == (90, 90, 90, 255)


def test_too_many_pixels_is_refused_before_decoding():
    huge = encode(Image.new("L", (4000, 3000)), compress_level=9)
    with pytest.raises(ImageError, match=r"bomb\.png: 4000x3000 is 12,000,000 pixels, over the limit of 1,000,000"):
        normalize(huge, "bomb.png", max_pixels=1_000_000)


def test_truncated_and_non_image_files_are_refused():
    whole = encode(Image.effect_noise((64, 64), 40).convert("RGB"))
    with pytest.raises(ImageError, match=r"cut\.png: truncated or corrupt image"):
        normalize(whole[: len(whole) // 2], "cut.png")
    with pytest.raises(ImageError, match=r"notes\.txt: not an image file"):
        normalize(b"hello, not a picture", "notes.txt")


def test_same_pixels_same_bytes_and_stored_once(tmp_path):
    picture = Image.new("RGBA", (10, 10), (10, 20, 30, 128))
    first = normalize(encode(picture, compress_level=1), "a.png")
    second = normalize(encode(picture, compress_level=9), "b.png")
    assert first.png == second.png and first.sha256 == second.sha256
    store = str(tmp_path / "store")
    uri = put(store, "talent", first)
    assert uri == store_uri(store, "talent", first) and uri.endswith(f"talent/{first.sha256[:2]}/{first.sha256}.png")
    mtime = (tmp_path / "store" / "talent" / first.sha256[:2] / f"{first.sha256}.png").stat().st_mtime_ns
    assert put(store, "talent", second) == uri
    assert (tmp_path / "store" / "talent" / first.sha256[:2] / f"{first.sha256}.png").stat().st_mtime_ns == mtime


def test_a_header_past_pillows_own_ceiling_is_a_clear_error_too():
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)  # 400 megapixels of RGB
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    with pytest.raises(ImageError, match=r"huge\.png: too many pixels to import"):
        normalize(png, "huge.png")
