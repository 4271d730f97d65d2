"""`python -m intelluxe_audio_client` is `intelluxe-dictate` (also the entry point of a PyInstaller build)."""

from __future__ import annotations

from intelluxe_audio_client.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
