"""A small RIFF/WAVE reader: the header, then blocks of frames decoded to mono float samples.

Why not the standard `wave` module: on Python 3.11 it refuses WAVE_FORMAT_EXTENSIBLE, which is what many
recorders write for 24-bit or multichannel audio, and it reads integer PCM only. This reader accepts PCM of 8
(unsigned), 16, 24 and 32 bits and IEEE float of 32 and 64 bits, plain or EXTENSIBLE, any channel count (mixed down
to mono by averaging) and any rate (the caller resamples). Compressed WAVs (ADPCM, mu-law, MP3) are refused with a
message saying to convert them.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from intelluxe_audio_client.errors import AudioError

PCM, IEEE_FLOAT, EXTENSIBLE = 0x0001, 0x0003, 0xFFFE
# The 14 bytes every KSDATAFORMAT_SUBTYPE GUID ends with; its first two bytes are the real format tag.
_SUBTYPE_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_WIDTHS = {PCM: (8, 16, 24, 32), IEEE_FLOAT: (32, 64)}


@dataclass(frozen=True)
class WavFormat:
    """Where the samples are and how to read them."""

    sample_rate: int
    channels: int
    bits: int
    encoding: int  # PCM or IEEE_FLOAT
    data_offset: int
    data_bytes: int

    @property
    def block_align(self) -> int:
        return self.channels * self.bits // 8

    @property
    def frames(self) -> int:
        return self.data_bytes // self.block_align

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


def read_format(path: str | os.PathLike[str]) -> WavFormat:
    """Parse the header; AudioError with the path and the reason when the file is not a WAV this reader handles."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return _parse(handle, path, os.fstat(handle.fileno()).st_size)
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioError(f"{path}: is a directory, not a WAV file") from None
    except OSError as exc:
        raise AudioError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def _parse(handle: BinaryIO, path: Path, file_size: int) -> WavFormat:
    header = handle.read(12)
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise AudioError(f"{path}: not a WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int] | None = None
    while True:
        chunk = handle.read(8)
        if len(chunk) < 8:
            raise AudioError(f"{path}: WAV file has no {'data' if fmt else 'fmt'} chunk (truncated?)")
        chunk_id, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(handle.read(size), path)
            if size % 2:
                handle.seek(1, os.SEEK_CUR)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError(f"{path}: WAV data comes before its format chunk")
            offset = handle.tell()
            # Recorders that stream to disk may leave the size 0 or 0xFFFFFFFF; a truncated file has less than it says.
            if size in (0, 0xFFFFFFFF) or offset + size > file_size:
                size = file_size - offset
            rate, channels, bits, encoding = fmt
            block = channels * bits // 8
            return WavFormat(rate, channels, bits, encoding, offset, size - size % block)
        else:
            handle.seek(size + size % 2, os.SEEK_CUR)


def _parse_fmt(body: bytes, path: Path) -> tuple[int, int, int, int]:
    if len(body) < 16:
        raise AudioError(f"{path}: WAV format chunk is too short")
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
    if tag == EXTENSIBLE:
        if len(body) < 40 or body[26:40] != _SUBTYPE_TAIL:
            raise AudioError(f"{path}: WAVE_FORMAT_EXTENSIBLE header is malformed")
        tag = struct.unpack("<H", body[24:26])[0]
    if tag not in _WIDTHS:
        raise AudioError(
            f"{path}: unsupported WAV encoding (format tag 0x{tag:04x}, compressed audio); "
            "convert it to 16-bit PCM, e.g. with Audacity or `sox in.wav -b 16 out.wav`"
        )
    if bits not in _WIDTHS[tag]:
        kind = "PCM" if tag == PCM else "float"
        raise AudioError(f"{path}: {bits}-bit {kind} WAV is not supported ({kind}: {_WIDTHS[tag]} bits)")
    if not 1 <= channels <= 32:
        raise AudioError(f"{path}: WAV has {channels} channels")
    if not 1000 <= rate <= 768_000:
        raise AudioError(f"{path}: WAV sample rate {rate} Hz is out of range")
    if block_align != channels * bits // 8:
        raise AudioError(f"{path}: WAV block size {block_align} does not match {channels} x {bits} bits")
    return rate, channels, bits, tag


def decode(raw: bytes, fmt: WavFormat) -> np.ndarray:
    """Whole frames of `raw` to mono float32 in [-1, 1] (channels averaged); a trailing partial frame is ignored."""
    usable = len(raw) - len(raw) % fmt.block_align
    data = np.frombuffer(raw, dtype=np.uint8, count=usable)
    if fmt.encoding == IEEE_FLOAT:
        samples = data.view("<f4" if fmt.bits == 32 else "<f8").astype(np.float32)
    elif fmt.bits == 8:
        samples = (data.astype(np.float32) - 128.0) / 128.0  # 8-bit WAV is unsigned, centred on 128
    elif fmt.bits == 16:
        samples = data.view("<i2").astype(np.float32) / 32768.0
    elif fmt.bits == 24:
        b = data.reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        samples = ((value ^ 0x800000) - 0x800000).astype(np.float32) / 8388608.0  # sign-extend 24 bits
    else:
        samples = (data.view("<i4").astype(np.float64) / 2147483648.0).astype(np.float32)
    if fmt.channels > 1:
        samples = samples.reshape(-1, fmt.channels).mean(axis=1, dtype=np.float32)
    return samples
