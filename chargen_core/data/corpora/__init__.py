"""Corpora shipped inside the package (compressed), so presets work offline.

nietzsche.txt.xz: the tutorial's Nietzsche text (public domain), 600,917 bytes of UTF-8 once decompressed.
"""
