"""Data shipped with chargen: the small pretrained default run (installed as the package chargen_assets)."""
