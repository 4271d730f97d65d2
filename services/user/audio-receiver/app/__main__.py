"""`python -m audio_receiver`: the service's command (audio-receiver.conf)."""

import sys

from audio_receiver.receiver import main

sys.exit(main())
