"""Image normalization on import, and the content-addressed asset store.

Whatever a photographer or an agency delivers (JPEG with an EXIF rotation, CMYK with a print
profile, a palette PNG, 16-bit or greyscale scans) is stored as one thing: an 8-bit sRGB PNG,
upright, with its alpha matte kept, named by the SHA-256 of its bytes. Files that are not images,
are truncated, or would decode to more pixels than the limit are rejected with the file's name.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass

import numpy as np
from apache_beam.io.filesystems import FileSystems
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from adloc.errors import AdlocError
from adloc.files import read_bytes, write_bytes
from adloc.settings import home

MAX_PIXELS = 50_000_000  # 50 megapixels: larger than any ad photo, far below a decompression bomb


class ImageError(AdlocError):
    """A file that cannot be imported as an image; the message names it and says why."""


@dataclass(frozen=True)
class NormalizedImage:
    png: bytes
    sha256: str
    width: int
    height: int
    has_alpha: bool


def default_store() -> str:
    """`ADLOC_ASSETS` (a folder or bucket URI), else `$ADLOC_HOME/assets`."""
    return os.environ.get("ADLOC_ASSETS") or str(home() / "assets")


def _to_8bit(image: Image.Image) -> Image.Image:
    """Greyscale of more than 8 bits (I;16*, I, F) scaled down to L."""
    values = np.asarray(image, dtype=np.float64)
    full_scale = 1.0 if image.mode == "F" else 65535.0
    return Image.fromarray(np.clip(np.round(values / full_scale * 255.0), 0, 255).astype(np.uint8), "L")


_SRGB = ImageCms.createProfile("sRGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """RGB or RGBA in sRGB. An embedded colour profile (CMYK print profiles included) is applied."""
    alpha = None
    if image.mode in ("RGBA", "LA", "PA") or (image.mode in ("P", "L", "RGB") and "transparency" in image.info):
        image = image.convert("RGBA") if image.mode != "LA" else image
        alpha = image.getchannel("A")
    base_mode = {"LA": "L", "RGBA": "RGB", "PA": "RGB", "P": "RGB", "1": "L"}.get(image.mode, image.mode)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _to_8bit(image)
        base_mode = "L"
    elif image.mode != base_mode:
        image = image.convert(base_mode)
    if icc:
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(io.BytesIO(icc)), _SRGB,
                                              outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            image = image.convert("RGB")  # an unusable profile: fall back to the plain conversion
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if alpha is not None:
        image.putalpha(alpha)
    return image


def normalize(data: bytes, where: str, max_pixels: int = MAX_PIXELS) -> NormalizedImage:
    """Decode, check and normalize one image file's bytes. `where` names it in errors."""
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageError(f"{where}: not an image file (expected PNG, JPEG, WebP or TIFF)") from None
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling, far above ours
        raise ImageError(f"{where}: too many pixels to import ({exc})") from None
    except (OSError, ValueError) as exc:
        raise ImageError(f"{where}: cannot read the image: {exc}") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(
            f"{where}: {width}x{height} is {width * height:,} pixels, over the limit of {max_pixels:,} "
            "(a decompression bomb, or an original to downscale before import)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            icc = image.info.get("icc_profile")
            image = _to_srgb(ImageOps.exif_transpose(image), icc)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageError(f"{where}: truncated or corrupt image: {exc}") from None
    image.info = {}  # no profile, EXIF or text chunks: the pixels are sRGB, and the bytes depend on nothing else
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    png = buffer.getvalue()
    return NormalizedImage(png, hashlib.sha256(png).hexdigest(), image.width, image.height, image.mode == "RGBA")


def load(path_or_uri: str, max_pixels: int = MAX_PIXELS) -> NormalizedImage:
    try:
        data = read_bytes(path_or_uri)
    except (OSError, ValueError) as exc:  # Beam's FileSystems raise their own IOError subclasses
        raise ImageError(f"{path_or_uri}: cannot read: {exc}") from None
    return normalize(data, path_or_uri, max_pixels)


def store_uri(store: str, kind: str, image: NormalizedImage) -> str:
    return FileSystems.join(store, kind, image.sha256[:2], f"{image.sha256}.png")


def put(store: str, kind: str, image: NormalizedImage) -> str:
    """Write the image to the store (once: the name is its hash) and return its URI."""
    uri = store_uri(store, kind, image)
    if not FileSystems.exists(uri):
        write_bytes(uri, image.png)
    return uri


def matte_png(alpha: np.ndarray) -> NormalizedImage:
    """An alpha matte (H x W uint8) as the store keeps it: an 8-bit greyscale PNG named by its hash."""
    buffer = io.BytesIO()
    Image.fromarray(alpha, "L").save(buffer, format="PNG", compress_level=6)
    png = buffer.getvalue()
    return NormalizedImage(png, hashlib.sha256(png).hexdigest(), alpha.shape[1], alpha.shape[0], False)
