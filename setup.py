"""Package discovery that pyproject.toml cannot express: assets/ installs as the package chargen_assets."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["chargen_core*", "tui*"]) + ["chargen_assets"],
    package_dir={"chargen_assets": "assets"},
)
