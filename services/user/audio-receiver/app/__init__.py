"""audio-receiver: doctors' dictation over a TLS websocket, transcribed on this server, text sent back live.

Not a Flask app: a websockets 17 server (receiver.py) whose gate answers /health, /metrics and the handshake, and
whose sessions run core.transcription's protocol. `create_receiver(settings=None)` builds it checked and ready;
`python -m audio_receiver` (the .conf's command) serves it until SIGTERM.
"""

from __future__ import annotations

from .receiver import Receiver, create_receiver, main, serve_forever
from .settings import ReceiverSettings

__all__ = ["Receiver", "ReceiverSettings", "create_receiver", "main", "serve_forever"]
