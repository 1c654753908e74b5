"""Files the emulator holds (uploaded by a person, sent by the bot, or only a URL), and the
shapes Telegram gives them: photo sizes read from the image header, file ids and sizes."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None  # sent by the bot as a URL: kept as a link, never fetched
    path: Path | None = None  # where its bytes are kept when the store holds them instead of `data`
    dims: tuple[int, int] | None = None  # (width, height) of an image, read once

    @property
    def file_path(self) -> str:
        return f"files/{self.file_id}"

    @property
    def available(self) -> bool:
        """Whether there are bytes to download (a URL-only file has none)."""
        return self.data is not None or self.path is not None

    def read(self) -> bytes | None:
        if self.data is not None:
            return self.data
        if self.path is not None:
            try:
                return self.path.read_bytes()
            except OSError:  # deleted by hand: as good as gone
                return None
        return None

    @property
    def size(self) -> int | None:
        if self.data is not None:
            return len(self.data)
        if self.path is not None:
            try:
                return self.path.stat().st_size
            except OSError:
                return None
        return None


def file_dict(f: StoredFile, **extra: Any) -> dict[str, Any]:
    out = {"file_id": f.file_id, "file_unique_id": f.file_unique_id}
    size = f.size
    if size is not None:
        out["file_size"] = size
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def image_size(data: bytes | None) -> tuple[int, int] | None:
    """(width, height) read from a PNG, GIF or JPEG header; None for anything else."""
    if not data:
        return None
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame segment
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
    return None


def photo_sizes(f: StoredFile) -> list[dict[str, Any]]:
    """Telegram sends a photo as several sizes, smallest first: a thumbnail (longest side 90)
    and the photo itself (longest side at most 1280). Same bytes here; only the sizes differ."""
    if f.dims is None:
        f.dims = image_size(f.read()) or (800, 800)
    width, height = f.dims
    out = []
    for side in (90, 1280):
        scale = min(1.0, side / max(width, height, 1))
        out.append(file_dict(f, width=max(1, round(width * scale)), height=max(1, round(height * scale))))
    return out
