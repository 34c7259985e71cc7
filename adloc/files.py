"""Reading and writing whole files through Beam's FileSystems: a local path, gs:// or s3:// alike."""

from __future__ import annotations

import uuid

from apache_beam.io.filesystems import FileSystems


def write_bytes(uri: str, data: bytes) -> None:
    """Write `data` to `uri` so that the file is complete or absent: under a temporary name, then
    renamed. A file that already holds exactly `data` is left alone (a rerun rewrites nothing)."""
    if FileSystems.exists(uri):
        try:
            if read_bytes(uri) == data:
                return
        except OSError:
            pass  # unreadable: write it again
    tmp = f"{uri}.tmp-{uuid.uuid4().hex}"  # unique per writer: two writers never share a half-written file
    try:
        with FileSystems.create(tmp) as handle:
            handle.write(data)
        if FileSystems.exists(uri):
            FileSystems.delete([uri])
        FileSystems.rename([tmp], [uri])
    finally:
        if FileSystems.exists(tmp):  # a failed write leaves nothing behind
            FileSystems.delete([tmp])


def read_bytes(uri: str) -> bytes:
    with FileSystems.open(uri) as handle:
        return handle.read()


def remove_partial_files(folder: str) -> int:
    """Delete the temporary files a killed run left under `folder` (its writes are a temporary
    name, then a rename): a rerun then leaves only complete files. Returns how many went."""
    try:  # a bucket "folder" is only a prefix: match, do not ask whether it exists
        found = [m.path for m in FileSystems.match([FileSystems.join(folder, "**.tmp-*")])[0].metadata_list]
    except (OSError, ValueError):  # nothing there yet (Beam raises its own IOError subclasses)
        return 0
    if found:
        FileSystems.delete(found)
    return len(found)
