"""chargen's terminal app (Textual); importing this package stays light so the CLI starts fast."""
import os

# Textual draws at most TEXTUAL_FPS frames a second (60 by default), and its update timer can hold a frame for
# up to two periods after the one before: a key could wait 33 ms to be drawn while training updates the pane.
# 120 halves that. Frames are still drawn only when something changed (the stream is paced at 30 a second).
# Set before Textual is imported (it reads the variable once); the user's own setting wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
