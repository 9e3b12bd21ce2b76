"""Builds the native attestation module (cffi out-of-line API mode); metadata lives in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["native/build.py:ffibuilder"])
